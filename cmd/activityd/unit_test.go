package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/activityd/activityd/internal/testenv"
)

// TestSystemdUnit checks deploy/activityd.service with systemd-analyze:
// verify must be clean and the security exposure must stay low. The unit's
// binary path is pointed at the binary built for the tests, since verify
// checks that the executable exists.
func TestSystemdUnit(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; the unit is not checked")
	}
	bin := testenv.Binary(t, "activityd")
	unit, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "activityd.service"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/activityd ", bin+" ")
	for _, want := range []string{"Type=notify", "WatchdogSec=", "DynamicUser=yes", "SupplementaryGroups=video",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=activityd", "Restart=on-failure"} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %s", want)
		}
	}
	path := filepath.Join(t.TempDir(), "activityd.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(sa, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Skipf("systemd-analyze security --offline unavailable: %v", err)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security exposure: %.1f", score)
	if score > 2.5 {
		t.Errorf("exposure %.1f, want at most 2.5", score)
	}
}
