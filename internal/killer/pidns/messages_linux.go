package pidns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// This file is the protocol between pgrun and its init, both ends of it:
// the init's command line and the messages of its control socket. Nothing
// else in the package knows how either is laid out.

// initCtlFd is the init's end of its control socket: the first descriptor
// it gets after the standard streams.
const initCtlFd = 3

// initArgs is the init's argv up to the command: its name, its flags and
// "--". The command's resolved path and its argv follow.
func initArgs(userns bool) []string {
	args := []string{InitName}
	if userns {
		args = append(args, "-userns")
	}
	return append(args, "--")
}

// parseInitArgs reads what initArgs wrote, and the command after it, from
// the init's argv without argv[0].
func parseInitArgs(args []string) (userns bool, path string, argv []string, err error) {
	for i, a := range args {
		switch a {
		case "-userns":
			userns = true
		case "--":
			if len(args) < i+3 {
				return false, "", nil, errors.New("no command after --")
			}
			return userns, args[i+1], args[i+2:], nil
		default:
			return false, "", nil, fmt.Errorf("unknown argument %q", a)
		}
	}
	return false, "", nil, errors.New("no --")
}

// The messages between pgrun and the init of its namespace, one per
// packet of a SOCK_SEQPACKET pair: a kind byte, then its payload in the
// machine's byte order (both ends are the same executable).
const (
	msgStarted = 'S' // init: the command runs; uint32 its pid in the namespace
	msgExecErr = 'E' // init: the command could not be executed; uint32 errno
	msgSetup   = 'F' // init: the namespace could not be set up; the reason as text
	msgExit    = 'X' // init: the command ended; uint32 wait status, its rusage, 1 if nothing else is left
	msgReply   = 'R' // init: 1 if the first signal of a request reached a process, else 0
	msgSignal  = 'K' // pgrun: send these signals (a byte each), in order, to the namespace
)

// maxMessage is the size of a read: a longer packet is cut short. The
// longest message pgrun's own sends is an Exit, 6 bytes and a rusage.
const maxMessage = 256

// exitLen is the length of an Exit message.
const exitLen = 6 + int(unsafe.Sizeof(syscall.Rusage{}))

// message is what one packet says.
type message interface{ encode() []byte }

// started is the init's first word when the command runs.
type started struct{ pid int } // the command's pid in the namespace

// execFailed is the init's first and last word when it could not execute
// the command.
type execFailed struct{ errno syscall.Errno }

// setupFailed is the init's first and last word when it could not set the
// namespace up.
type setupFailed struct{ reason string }

// A Report is what the init says once the command runs: an [Exit] or a
// [Reply].
type Report interface{ report() }

// Exit is the init's report that the command ended.
type Exit struct {
	Status syscall.WaitStatus
	Rusage syscall.Rusage
	Alone  bool // nothing but the init was left in the namespace
}

// Reply is the init's answer to a request of [Conn.Signal].
type Reply struct {
	Reached bool // the request's first signal reached a process
}

func (Exit) report()  {}
func (Reply) report() {}

// signalRequest asks the init to send sigs, in order, to every process of
// the namespace but itself.
type signalRequest struct{ sigs []syscall.Signal }

func (m started) encode() []byte {
	return binary.NativeEndian.AppendUint32([]byte{msgStarted}, uint32(m.pid))
}

func (m execFailed) encode() []byte {
	return binary.NativeEndian.AppendUint32([]byte{msgExecErr}, uint32(m.errno))
}

func (m setupFailed) encode() []byte { return append([]byte{msgSetup}, m.reason...) }

func (m Exit) encode() []byte {
	b := binary.NativeEndian.AppendUint32([]byte{msgExit}, uint32(m.Status))
	b = append(b, rusageBytes(&m.Rusage)...)
	return append(b, flag(m.Alone))
}

func (m Reply) encode() []byte { return []byte{msgReply, flag(m.Reached)} }

func (m signalRequest) encode() []byte {
	b := []byte{msgSignal}
	for _, s := range m.sigs {
		b = append(b, byte(s))
	}
	return b
}

// decode reads one packet. It returns nil for a packet that is no message:
// of no known kind, or of the wrong length for its kind. Each side passes
// over what it does not expect.
func decode(b []byte) message {
	if len(b) == 0 {
		return nil
	}
	switch n := len(b); b[0] {
	case msgStarted:
		if n >= 5 {
			return started{pid: int(binary.NativeEndian.Uint32(b[1:]))}
		}
	case msgExecErr:
		if n >= 5 {
			return execFailed{errno: syscall.Errno(binary.NativeEndian.Uint32(b[1:]))}
		}
	case msgSetup:
		return setupFailed{reason: string(b[1:])}
	case msgExit:
		if n == exitLen {
			e := Exit{Status: syscall.WaitStatus(binary.NativeEndian.Uint32(b[1:])), Alone: b[n-1] == 1}
			copy(rusageBytes(&e.Rusage), b[5:n-1])
			return e
		}
	case msgReply:
		if n == 2 {
			return Reply{Reached: b[1] == 1}
		}
	case msgSignal:
		if n >= 2 {
			var m signalRequest
			for _, s := range b[1:] {
				m.sigs = append(m.sigs, syscall.Signal(s))
			}
			return m
		}
	}
	return nil
}

func flag(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// rusageBytes is r's memory: init and pgrun are the same executable.
func rusageBytes(r *syscall.Rusage) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r)), unsafe.Sizeof(*r))
}
