/* connsim profiles: the kernel profiles, their rule variants and defaults. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "models/prof.h"

int cmd_profiles(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: connsim profiles\n\nLists the kernel profiles ([client] profile, [server] profile, "
		       "run --profile),\nthe rule variant each uses, and the defaults that differ between them.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "connsim profiles: takes no arguments (see connsim profiles --help)\n");
		return EXIT_USAGE;
	}
	size_t n;
	const prof *p = prof_all(&n);
	for (size_t i = 0; i < n; i++, p++) {
		printf("%s%s: %s\n", i ? "\n" : "", p->name, p->kernels);
		printf("  connect() ports        %s\n", prof_port_algo_name(p->port));
		printf("  TIME_WAIT timer        %s\n", prof_twtimer_name(p->twtimer));
		printf("  tcp_tw_reuse           values 0/1%s, default %d; wait: %s%s\n",
		       p->reuse_has_loopback ? "/2" : "", p->tw_reuse, prof_reuse_name(p->reuse),
		       p->reuse_skips_fw2 ? "; never a FIN_WAIT2 minisocket" : "");
		printf("  tcp_tw_recycle         %s\n", prof_recycle_name(p->recycle));
		printf("  timestamps             %s clock, offsets %s\n", p->ts_ms_clock ? "1 ms" : "jiffies",
		       prof_tsoff_name(p->tsoff));
		printf("  ehash index            %s\n", p->ehash_linear_lport ? "linear in the local port (6.15+)"
									 : "keyed hash of the 4-tuple");
		printf("  ip_local_port_range    %u %u\n", p->port_lo, p->port_hi);
		printf("  tcp_syn_retries        %u;  somaxconn %u;  rfc1337 RST restarts timer: %s\n",
		       p->syn_retries, p->somaxconn, p->rfc1337_restarts ? "yes" : "no");
	}
	return EXIT_OK;
}
