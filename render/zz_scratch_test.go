package render
import ("testing";"fmt")
func TestScratch(t *testing.T){
 for _,thr:=range []float64{0.1,0.2,0.3,0.5}{
 attackThreshold=thr
 c:=NewCache()
 for _, kn := range []string{"Audiophob","BJA_Pacific","ForzeeStereo","The Black Pearl 1.0"} {
 k,err:=LoadKit(DefaultKitsDir+"/"+kn); if err!=nil{t.Fatal(err)}
 for order:=0; order<2; order++ {
 fails,total:=0,0
 minratio:=1e9
 for i:=0;i<14;i++{
 rng:=NewRand(uint64(i))
 g,err:=Generate(GrooveOptions{Seconds:20,AllStems:true, Style: Styles()[i]},rng); if err!=nil{t.Fatal(err)}
 tr,err:=Render(g,k,c,Options{Augment:i%2==1},rng); if err!=nil{t.Fatal(err)}
 w:=88
 for _,o:=range tr.Onsets{
   idx:=-1; for j,n:=range tr.Names{ if n==o.Output{idx=j}}
   st:=tr.Stems[idx]; f:=o.Frame
   val:=func(ch []float32, j int) float64 { 
     x:=func(j int) float64 { if j<0 {return 0}; return float64(ch[j])}
     switch order { case 0: return x(j); case 1: return x(j)-x(j-1); default: return x(j)-2*x(j-1)+x(j-2)} }
   var eb,ea float64
   for j:=f-w;j<f+w;j++{ if j<2||j>=len(st[0]){continue}; a,b:=val(st[0],j),val(st[1],j); e:=a*a+b*b; if j<f{eb+=e}else{ea+=e}}
   total++
   if eb>0 && ea/eb<minratio {minratio=ea/eb}
   if !(ea>eb){fails++; if fails<3 && order==0 {fmt.Printf("%s %s %s %s %s f=%d v=%.2f before=%.3g after=%.3g\n",kn,g.Style,o.Output,o.Piece,o.Instrument,f,o.Velocity,eb,ea)}}
 }
 }
 fmt.Println(thr, kn,"order",order,"fails",fails,"of",total, "minratio", minratio)
 }}}
}
