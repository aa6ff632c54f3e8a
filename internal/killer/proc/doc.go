// Package proc reads what Linux's /proc says of processes, and holds them
// through pidfds: stat lines, children files, walks and passes over
// /proc, environments, and whether /proc describes pgrun's own pid
// namespace at all. It knows nothing of trees or of pgrun's policy; every
// function is safe for concurrent use, and a number read from /proc is
// only a hint until a pidfd opened on it has been checked (OpenChecked).
package proc
