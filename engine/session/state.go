package session

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

func init() {
	// The values a row holds beside gob's basic types: datetimes, timespans and dynamic values.
	gob.Register(time.Time{})
	gob.Register(time.Duration(0))
	gob.Register(map[string]any{})
	gob.Register([]any{})
}

// streamState is what a --state file holds: what a stream holds, to resume it in another process
// as if it had never stopped.
type streamState struct {
	Version int
	// Rules holds each rule's stream, by rule file and id.
	Rules            map[string]pipeline.StreamState
	Pending          []pendingRow
	Seq              int
	Newest, Released time.Time
	// Positions holds each file's last record taken.
	Positions map[string]record.Source
	Late      int
	// Output is how far the alert file had been written (see Checkpoint).
	Output int64
}

const stateVersion = 2 // 2: rows as their columns and values (record.Row.GobEncode)

func ruleKey(p *pipeline.Plan) string { return p.Rule.File + "#" + p.Rule.Meta.ID }

// Checkpoint writes what the stream holds to path, atomically (a temporary file renamed over it):
// path is only ever the old checkpoint or the whole new one. written is how much of the alert
// file the stream's alerts have filled so far (0 without one); it is called, as the state is
// taken, while no row is passed on.
func (s *Stream) Checkpoint(path string, written func() int64) error {
	var st streamState
	s.read.locked(func() {
		st = streamState{Version: stateVersion, Rules: map[string]pipeline.StreamState{}, Pending: s.pending.rows(),
			Seq: s.seq, Newest: s.newest, Released: s.released, Positions: map[string]record.Source{}, Late: s.Late}
		for i, p := range s.Plans {
			st.Rules[ruleKey(p)] = s.Streams[i].State()
		}
		s.keepPosition()
		for f, src := range s.positions {
			st.Positions[f] = src
		}
		if written != nil {
			st.Output = written()
		}
	})
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	err = gob.NewEncoder(tmp).Encode(&st)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--state %s: %w", path, err)
	}
	return nil
}

// Resume makes a started stream hold what the checkpoint at path holds, and skip the records of
// each file up to the last one taken before it. It returns how much of the alert file had been
// written at the checkpoint (the alerts after that were written since, and are not written again:
// see SkipWritten), and false when there is no checkpoint yet.
func (s *Stream) Resume(path string) (int64, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("--state %s: %w", path, err)
	}
	defer f.Close()
	var st streamState
	if err := gob.NewDecoder(f).Decode(&st); err != nil || st.Version != stateVersion {
		return 0, false, fmt.Errorf("--state %s: not a checkpoint of this version of detect: %v", path, err)
	}
	for i, p := range s.Plans {
		if rs, ok := st.Rules[ruleKey(p)]; ok {
			s.Streams[i].Restore(rs)
		}
	}
	s.pending.restore(st.Pending)
	s.seq, s.newest, s.released, s.Late = st.Seq, st.Newest, st.Released, st.Late
	s.resume, s.current, s.resuming = st.Positions, record.Source{}, false
	for f, src := range st.Positions {
		s.positions[f] = src
	}
	return st.Output, true, nil
}

// SkipWritten tells the stream the ids of alerts already written, after its checkpoint: made
// again, they are not written again.
func (s *Stream) SkipWritten(ids []string) {
	for _, id := range ids {
		s.written[id] = true
	}
}
