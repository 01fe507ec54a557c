package rule

import "testing"

// Every stage kind has its decoder, and every decoder is a stage kind: a kind added to one and not
// the other would be an unknown key, or a stage read as nothing.
func TestEveryStageKindDecodes(t *testing.T) {
	for _, kind := range StageKinds {
		if stageDecoders[kind] == nil {
			t.Errorf("stage kind %s has no decoder in stageDecoders", kind)
		}
	}
	if len(stageDecoders) != len(StageKinds) {
		t.Errorf("%d decoders for %d stage kinds", len(stageDecoders), len(StageKinds))
	}
}
