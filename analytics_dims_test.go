package orderbot

import "testing"

// TestEveryKindHasAStage keeps the stage table in step with the registry.
func TestEveryKindHasAStage(t *testing.T) {
	for _, k := range Kinds() {
		if _, ok := kindStages[k]; !ok {
			t.Errorf("kind %s has no stage in kindStages", k)
		}
	}
	if got := Kind("payment.new_rule").Stage(); got != StagePayment {
		t.Errorf("unlisted payment kind: stage %s, want payment", got)
	}
	if got := Kind("sync.order_missing").Stage(); got != StageOrder {
		t.Errorf("unlisted sync kind: stage %s, want order", got)
	}
}
