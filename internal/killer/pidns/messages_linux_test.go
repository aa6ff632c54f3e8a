package pidns

import (
	"reflect"
	"syscall"
	"testing"
)

// What one side encodes, the other decodes to the same message; a packet
// of no known kind, or of the wrong length for its kind, is no message.
func TestMessagesRoundTrip(t *testing.T) {
	for _, m := range []message{
		started{pid: 2},
		execFailed{errno: syscall.ENOENT},
		setupFailed{reason: "mounting /proc: operation not permitted"},
		Exit{Status: 9, Rusage: syscall.Rusage{Maxrss: 1234, Nvcsw: 5}, Alone: true},
		Exit{Status: 0x100},
		Reply{Reached: true},
		Reply{},
		signalRequest{sigs: []syscall.Signal{syscall.SIGTERM, syscall.SIGCONT}},
	} {
		b := m.encode()
		if len(b) > maxMessage {
			t.Errorf("%#v: %d bytes, more than maxMessage", m, len(b))
		}
		if got := decode(b); !reflect.DeepEqual(got, m) {
			t.Errorf("decode(%#v.encode()) = %#v", m, got)
		}
	}
	for _, b := range [][]byte{
		nil,
		{msgStarted, 1},
		{msgExecErr},
		{msgExit, 0, 0, 0, 0, 1},
		{msgReply},
		{msgReply, 1, 0},
		{msgSignal},
		{'?', 1, 2, 3, 4},
	} {
		if got := decode(b); got != nil {
			t.Errorf("decode(%q) = %#v, want nil", b, got)
		}
	}
}

// The init reads the command line that the parent side writes.
func TestInitArgsRoundTrip(t *testing.T) {
	for _, userns := range []bool{false, true} {
		args := append(initArgs(userns)[1:], "/bin/echo", "echo", "--", "-userns")
		gotUserns, path, argv, err := parseInitArgs(args)
		if err != nil || gotUserns != userns || path != "/bin/echo" || !reflect.DeepEqual(argv, []string{"echo", "--", "-userns"}) {
			t.Errorf("parseInitArgs(%q) = %v, %q, %q, %v", args, gotUserns, path, argv, err)
		}
	}
	for _, args := range [][]string{nil, {"--", "/bin/echo"}, {"-x", "--", "/bin/echo", "echo"}} {
		if _, _, _, err := parseInitArgs(args); err == nil {
			t.Errorf("parseInitArgs(%q): no error", args)
		}
	}
}
