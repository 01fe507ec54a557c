//go:build !(goexperiment.simd && amd64)

package input

// wideStrings is false: built without vector instructions, validString reads eight bytes a step.
const wideStrings = false

func validStringWide(data []byte, i int) (int, bool) { return stringWords(data, i) }
