//go:build goexperiment.simd && amd64

package input

import (
	"math/bits"
	"simd/archsimd"
)

// wideStrings is set when the processor has AVX2: validString then reads strings 32 bytes a step.
var wideStrings = archsimd.X86.AVX2()

// validStringWide is validString 32 bytes at a time, with the escapes of a step found by
// arithmetic on its masks (simdjson's odd backslash sequences), not byte by byte: a sign-in's
// JSON-in-a-string columns (DeviceDetail, AuthenticationDetails) have an escaped quote every few
// bytes. A step whose escapes are not all \" and \\ is read byte by byte; the last bytes, fewer
// than 32, eight at a time.
func validStringWide(data []byte, i int) (int, bool) {
	quote, backslash, lastControl := archsimd.BroadcastUint8x32('"'), archsimd.BroadcastUint8x32('\\'), archsimd.BroadcastUint8x32(' '-1)
	// oddRun is 1 when the step before ended in a backslash that escapes this step's first byte.
	var oddRun uint32
	for len(data)-i >= 32 {
		v := archsimd.LoadUint8x32Slice(data[i:])
		quotes := v.Equal(quote).ToBits()
		backslashes := v.Equal(backslash).ToBits()
		controls := v.Max(lastControl).Equal(lastControl).ToBits()
		if backslashes|oddRun == 0 {
			if stops := quotes | controls; stops != 0 {
				return stringEnd(i, stops, controls)
			}
			i += 32
			continue
		}
		carried := oddRun
		escaped := escapedBytes(backslashes, &oddRun)
		if escaped&^quotes == 0 { // every escape is \" or \\
			ends := quotes &^ escaped
			if stops := ends | controls; stops != 0 {
				return stringEnd(i, stops, controls)
			}
			i += 32
			continue
		}
		// Another escape (or a control character escaped): byte by byte, from the backslash
		// before this step when it escapes the first byte.
		start := i - int(carried)
		var done, ok bool
		if i, done, ok = stringBytes(data, start, i+32); done {
			return i, ok
		}
		oddRun = 0
	}
	return stringWords(data, i-int(oddRun))
}

// stringEnd is where a string ends given the first stop of the step at i: after its closing
// quote, or (not ok) at a control character.
func stringEnd(i int, stops, controls uint32) (int, bool) {
	at := bits.TrailingZeros32(stops)
	if controls>>at&1 != 0 {
		return i + at, false
	}
	return i + at + 1, true
}

const evenBits = 0x55555555

// escapedBytes flags the bytes of a step that a backslash escapes and that are not backslashes
// themselves: those right after an odd run of backslashes (an even run is escaped backslashes).
// A run's length is found by adding its start to it, the carry running to its end; oddRun carries
// a run that ends the step odd into the next. This is simdjson's find_odd_backslash_sequences
// (Langdale and Lemire, "Parsing Gigabytes of JSON per Second", 2019), on 32 bytes.
func escapedBytes(backslashes uint32, oddRun *uint32) uint32 {
	const oddBits = ^uint32(evenBits)
	starts := backslashes &^ (backslashes << 1)
	evenStartMask := evenBits ^ *oddRun
	evenStarts := starts & evenStartMask
	oddStarts := starts &^ evenStartMask
	evenCarries := backslashes + evenStarts
	oddCarries, carry := bits.Add32(backslashes, oddStarts, 0)
	oddCarries |= *oddRun
	*oddRun = carry
	evenStartOddEnd := evenCarries &^ backslashes & oddBits
	oddStartEvenEnd := oddCarries &^ backslashes & evenBits
	return evenStartOddEnd | oddStartEvenEnd
}
