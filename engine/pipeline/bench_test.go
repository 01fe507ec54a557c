package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// BenchmarkSelfJoin runs a FOCI-shaped self-join over sessions of five sign-ins: one first login
// and four refresh logins each, so every session makes four pairs.
func BenchmarkSelfJoin(b *testing.B) {
	p, err := compileRuleB(b, selfJoin)
	if err != nil {
		b.Fatal(err)
	}
	var rows []record.Row
	for s := 0; s < 2000; s++ {
		for i := 0; i < 5; i++ {
			token := "refreshToken"
			if i == 0 {
				token = "none"
			}
			rows = append(rows, signin(len(rows)+1, map[string]any{
				"SessionId": fmt.Sprintf("session-%d", s), "UserPrincipalName": fmt.Sprintf("user%d@contoso.example", s%300),
				"IncomingTokenType": token, "AppDisplayName": "Microsoft Teams", "TimeGenerated": now.Add(-time.Duration(i) * time.Minute),
			}))
		}
	}
	tables := map[string][]record.Row{"AADNonInteractiveUserSignInLogs": rows}
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := p.Run(tables)
		if err != nil || len(out) != 8000 {
			b.Fatal(len(out), err)
		}
	}
}
