package torch_test

import (
	"fmt"
	"log"

	"github.com/drumsplit/drumsplit/torch"
)

// Load a TorchScript module on the device "auto" stands for and run it,
// reusing the output buffers across calls.
func Example() {
	dev, why, err := torch.AutoDevice()
	if err != nil {
		log.Fatal(err) // ErrNoLibtorch: the message says what to build or set
	}
	fmt.Printf("running on %v: %s\n", dev, why)

	m, err := torch.Load("testdata/conv.pt", dev)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	x := torch.Tensor{Shape: []int64{1, 2, 16}, Data: make([]float32, 32)}
	var out []torch.Tensor
	for range 3 {
		if out, err = m.RunInto("forward", out, x); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("output shape:", out[0].Shape)
}

func ExampleParseDevice() {
	d, err := torch.ParseDevice("cuda:1")
	fmt.Println(d.Type, d.Index, d, err)
	// Output: cuda 1 cuda:1 <nil>
}
