// SPDX-License-Identifier: GPL-2.0
/*
 * vmqctl is linked static. libnl-3's address helpers reference glibc's
 * NSS lookups (getaddrinfo, getprotobyname, ...), which cannot work in a
 * static binary and make the linker warn. vmqctl never resolves host or
 * protocol names; these stand-ins keep glibc's NSS code out of the binary
 * and fail like a lookup that found nothing.
 */
#include <netdb.h>
#include <stddef.h>

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	return EAI_FAIL;
}

void freeaddrinfo(struct addrinfo *res)
{
	(void)res;
}

struct protoent *getprotobyname(const char *name)
{
	(void)name;
	return NULL;
}

struct protoent *getprotobynumber(int proto)
{
	(void)proto;
	return NULL;
}
