package render
import ("testing";"fmt")
func TestScratch(t *testing.T){ for _, seedOff := range []int{100, 200, 300} { fmt.Println("seeds", seedOff)
 c:=NewCache()
 cat:=map[string]int{}
 fails,total:=0,0
 for _, kn := range []string{"Audiophob","BJA_Pacific","ColomboAcousticDrumkit","ElectricEmpireKit","HardElectro1","Millo-Drums_v.1","Millo_MultiLayered2","Millo_MultiLayered3","VariBreaks","rumpf_kit_z01_h2","ForzeeStereo","The Black Pearl 1.0"} {
 k,err:=LoadKit(DefaultKitsDir+"/"+kn); if err!=nil{t.Fatal(err)}
 for i:=0;i<28;i++{
 rng:=NewRand(uint64(i+seedOff))
 g,err:=Generate(GrooveOptions{Seconds:20,AllStems:true, Style: Styles()[i%14]},rng); if err!=nil{t.Fatal(err)}
 tr,err:=Render(g,k,c,Options{},rng); if err!=nil{t.Fatal(err)}
 w:=88
 last:=map[string]Onset{}
 for _,o:=range tr.Onsets{
   idx:=-1; for j,n:=range tr.Names{ if n==o.Output{idx=j}}
   st:=tr.Stems[idx]; f:=o.Frame
   var eb,ea float64
   for j:=f-w;j<f+w;j++{ if j<0||j>=len(st[0]){continue}; a,b:=float64(st[0][j]),float64(st[1][j]); e:=a*a+b*b; if j<f{eb+=e}else{ea+=e}}
   total++
   p,ok:=last[o.Output]
   if !(ea>1.2*eb){fails++
     key:="none"
     if ok { if p.Instrument==o.Instrument {key="same"} else {key="other:"+p.Piece.String()+">"+o.Piece.String()}
       key+=fmt.Sprintf(" <%dms", ((o.Frame-p.Frame)/44/50+1)*50)}
     cat[o.Output+" "+key]++; fmt.Printf("%s %s %s v=%.2f prevv=%.2f before=%.3g after=%.3g\n", kn, o.Instrument, g.Style, o.Velocity, p.Velocity, eb, ea)
   }
   last[o.Output]=o
 }
 }}
 fmt.Println("fails",fails,"of",total)
 for k,v:=range cat{fmt.Println(v,k)}; cat=map[string]int{}; fails=0; total=0}
}
