# The guardian's watcher for linux/amd64 (GNU as syntax; build.sh makes
# ../watcher_linux_amd64.go of it). pgrun executes it from a memfd with:
#   fd 3  the lifeline's read end: one byte means dismissed, EOF that
#         pgrun died
#   fd 6  pgrun's own executable (O_PATH)
#   fd 4, 5, 7 and argv: for the guardian proper (see ../spec_linux.go).
# It ignores the signals a terminal or a closed pipe would send, closes
# what it inherited from 8 up (close_range, Linux 5.9), and blocks in
# read(3). A byte: it exits 0 (pgrun KILLs it first, in fact). End of file
# or an error: pgrun is gone; it writes 1 to cgroup.kill in fd 5 (the
# run's cgroup in cgroup mode) and executes fd 6 with its own argv and
# environment (execveat AT_EMPTY_PATH, else execve of /proc/self/fd/6),
# which makes it the guardian
# proper, pgrun-guardian by argv[0], in the same process; exit 127 if it
# cannot. No libc, no stack frame: system calls only.
	.globl	_start
	.text
_start:
	# struct kernel_sigaction {SIG_IGN, flags 0, restorer 0, mask 0}
	sub	$32, %rsp
	movq	$1, (%rsp)
	movq	$0, 8(%rsp)
	movq	$0, 16(%rsp)
	movq	$0, 24(%rsp)
	lea	sigs(%rip), %rbx
1:	movzbl	(%rbx), %edi		# rt_sigaction(sig, &ign, NULL, 8)
	test	%edi, %edi
	jz	2f
	mov	$13, %eax
	mov	%rsp, %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	syscall
	inc	%rbx
	jmp	1b
2:	add	$32, %rsp
	mov	$436, %eax		# close_range(8, ~0U, 0)
	mov	$8, %edi
	mov	$-1, %esi
	xor	%edx, %edx
	syscall
3:	xor	%eax, %eax		# read(3, buf, 1), again on EINTR
	mov	$3, %edi
	lea	-8(%rsp), %rsi
	mov	$1, %edx
	syscall
	cmp	$-4, %rax
	je	3b
	cmp	$1, %rax
	je	4f
	# In cgroup mode fd 5 is the run's cgroup: KILL it at once, before
	# the guardian proper starts (elsewhere fd 5 is /dev/null, and the
	# open fails). openat(5, "cgroup.kill", O_WRONLY|O_CLOEXEC)
	mov	$257, %eax
	mov	$5, %edi
	lea	killfile(%rip), %rsi
	mov	$0x80001, %edx
	syscall
	test	%rax, %rax
	js	6f
	mov	%eax, %edi		# write(fd, "1", 1)
	mov	$1, %eax
	lea	one(%rip), %rsi
	mov	$1, %edx
	syscall
6:	mov	$322, %eax		# execveat(6, "", argv, envp, AT_EMPTY_PATH)
	mov	$6, %edi
	lea	empty(%rip), %rsi
	lea	8(%rsp), %rdx
	mov	(%rsp), %rcx
	lea	16(%rsp,%rcx,8), %r10
	mov	$0x1000, %r8d
	syscall
	mov	$59, %eax		# else execve("/proc/self/fd/6", argv, envp)
	lea	fd6(%rip), %rdi		# (a seccomp profile without execveat)
	lea	8(%rsp), %rsi
	mov	(%rsp), %rcx
	lea	16(%rsp,%rcx,8), %rdx
	syscall
	mov	$127, %edi
	jmp	5f
4:	xor	%edi, %edi
5:	mov	$231, %eax		# exit_group
	syscall
sigs:	.byte	1, 2, 3, 13, 20, 21, 22, 0	# HUP INT QUIT PIPE TSTP TTIN TTOU
empty:	.byte	0
killfile:	.asciz	"cgroup.kill"
one:	.ascii	"1"
fd6:	.asciz	"/proc/self/fd/6"
