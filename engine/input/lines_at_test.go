package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/record"
)

// lineBuilder writes records of the sizes asked for, each naming its line ("Id":"line-N"), and
// keeps count of the lines written.
type lineBuilder struct {
	text  bytes.Buffer
	lines int
	ids   []int // the lines that hold a record small enough to be read
}

// record writes a record of size bytes, its line end aside.
func (b *lineBuilder) record(size int, kept bool) {
	b.lines++
	head := fmt.Sprintf(`{"Id":"line-%d","AppId":"`, b.lines)
	if size < len(head)+2 {
		panic("record too small")
	}
	b.text.WriteString(head + strings.Repeat("x", size-len(head)-2) + `"}` + "\n")
	if kept {
		b.ids = append(b.ids, b.lines)
	}
}

func (b *lineBuilder) blank() { b.lines++; b.text.WriteString("\n") }

// endAt writes records of about 300 bytes until the next line end falls at offset.
func (b *lineBuilder) endAt(offset int) {
	for offset-b.text.Len() > 700 {
		b.record(299, true)
	}
	b.record(offset-b.text.Len(), true)
}

// A file read at offsets is cut into batches wherever its bytes fall: each line is read by the
// batch its start is after, whatever the batch boundary cuts (a line end, the byte after one, a
// line past the slack's first read, one longer than the slack a batch reads on, one longer than
// a batch, one over the limit),
// and every record keeps the number of its line.
func TestLinesReadAtOffsetsKeepTheirNumbersAcrossBatches(t *testing.T) {
	lowerValueLimit(t, 2*batchSize)
	var b lineBuilder
	b.endAt(batchSize - 1) // the next batch starts with a line
	b.endAt(2 * batchSize) // the next batch starts with a line end
	b.blank()
	b.endAt(3*batchSize - 5000)
	b.record(20000, true) // past the first read of the slack, within the slack
	b.endAt(4*batchSize - 100)
	b.record(batchSlack+1000, true) // past the slack after the batch
	b.record(batchSize+batchSize/2, true)
	b.record(2*batchSize+10, false) // over the limit, and no line end in a whole batch
	tooLong := b.lines
	b.endAt(9 * batchSize)
	b.record(500, true)
	b.record(400, true)
	text := strings.TrimSuffix(b.text.String(), "\n") // the last line has no line end
	for _, name := range []string{"ended.ndjson", "unended.ndjson"} {
		data := text
		if name == "ended.ndjson" {
			data += "\n"
		}
		c := read(t, name, []byte(data), FormatAuto, nonInteractive) // and streamed, the same
		var got []int
		for _, row := range c.rows[nonInteractive] {
			var id int
			fmt.Sscanf(row.Get("Id").(string), "line-%d", &id)
			if row.Sources[0].Line != id {
				t.Errorf("%s: the record of line %d is said to be on line %d", name, id, row.Sources[0].Line)
			}
			got = append(got, id)
		}
		if fmt.Sprint(got) != fmt.Sprint(b.ids) {
			t.Errorf("%s: read the records of lines %v,\nwant %v", name, got, b.ids)
		}
		if want := fmt.Sprintf("%s:%d: record too large: %v", name, tooLong, errTooLarge); c.rejections() != want {
			t.Errorf("%s: rejections:\n%s\nwant %s", name, c.rejections(), want)
		}
	}
}

// failingAt is text in memory whose bytes from fail on cannot be read.
type failingAt struct {
	*bytes.Reader
	fail int64
}

var errDisk = errors.New("input/output error")

func (f failingAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) <= f.fail {
		return f.Reader.ReadAt(p, off)
	}
	n, _ := f.Reader.ReadAt(p[:max(0, f.fail-off)], off)
	return n, errDisk
}

// A read that fails while a file is read at offsets breaks the file at the line it fails in: the
// records of the lines before are read, the rest of the file is not, and the break is reported at
// that line, whichever batch's read failed (its own bytes, or the end of its last line past them).
func TestAFileReadAtOffsetsBreaksAtTheLineItFailsIn(t *testing.T) {
	var b lineBuilder
	for b.text.Len() < 5*batchSize {
		b.record(900, true)
	}
	text := b.text.Bytes()
	for _, fail := range []int{3*batchSize + 5000, 3*batchSize + 100, 3*batchSize - 10, 1000, 5*batchSize - 1} {
		line := bytes.Count(text[:fail], []byte{'\n'}) + 1
		r, err := NewReader(wants(t, nonInteractive), FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
		r.Read("disk.ndjson", failingAt{bytes.NewReader(text), int64(fail)}, c)
		rows := c.rows[nonInteractive]
		if len(rows) != line-1 {
			t.Errorf("failing at byte %d (line %d): %d records read, want %d", fail, line, len(rows), line-1)
		}
		want := fmt.Sprintf("disk.ndjson:%d: read error: %v; the file breaks off here, the records before were read", line, errDisk)
		if c.rejections() != want {
			t.Errorf("failing at byte %d: rejections:\n%s\nwant %s", fail, c.rejections(), want)
		}
	}
}

// Text that cannot be read at offsets (a pipe) is streamed; text that can is read at offsets
// from where the sniffing of its shape left it, past a byte order mark.
func TestWhatIsReadAtOffsets(t *testing.T) {
	line := `{"Id":"a","AppId":"b"}` + "\n"
	if _, _, _, ok := spanOf(onlyReader{strings.NewReader(line)}); ok {
		t.Error("a reader without ReadAt is taken for text read at offsets")
	}
	r := strings.NewReader("xx" + line)
	if _, err := r.Seek(2, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	_, start, end, ok := spanOf(r)
	if at, _ := r.Seek(0, io.SeekCurrent); !ok || start != 2 || end != int64(len(line))+2 || at != 2 {
		t.Errorf("spanOf a reader at 2 of %d bytes: %d to %d (%v), and left at %d", len(line)+2, start, end, ok, at)
	}
	c := read(t, "bom.ndjson", []byte("\ufeff"+line+line), FormatAuto, nonInteractive)
	if rows := c.rows[nonInteractive]; len(rows) != 2 || rows[1].Sources[0].Line != 2 || len(c.rejected) != 0 {
		t.Errorf("after a byte order mark: %d rows, rejections:\n%s", len(rows), c.rejections())
	}
}

// A device file seeks without being a file with an end (a terminal, /dev/null): it is streamed.
func TestADeviceIsNotReadAtOffsets(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	if _, err := null.Seek(0, io.SeekEnd); err != nil {
		t.Skipf("%s does not seek: %v", os.DevNull, err)
	}
	if _, _, _, ok := spanOf(null); ok {
		t.Errorf("%s is taken for text read at offsets", os.DevNull)
	}
}
