/*
 * A stand-in for Windows's bcryptprimitives.dll, for running pgrun's
 * Windows tests under Wine 8, which lacks the DLL that the Go runtime
 * (1.22 and later) needs at start: its ProcessPrng, filled here from
 * advapi32's RtlGenRandom (SystemFunction036). Test-only: scripts/test-windows.sh
 * builds it into a temporary Wine prefix; it is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
