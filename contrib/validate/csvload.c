/*
 * csvload: the paced connect/close load of `make validate-kernel`
 * (contrib/validate/validate.sh), run inside network namespaces.
 *
 *   csvload serve   -a ADDR -p PORTS -t SECONDS [-m client|server]
 *   csvload connect -d ADDR:PORT[,ADDR:PORT...] -r RATE -t SECONDS
 *                   [-m client|server] [-D random|rr] [-s SEED]
 *                   [-w NAME=/run/netns/NS ...] [-c CAP]
 *
 * serve accepts on every port; with -m client (the default) it answers the
 * client's EOF with close(), so the client ends in TIME_WAIT; with -m server
 * it closes each connection as soon as it accepts it, so the server closes
 * first and holds the TIME_WAIT.
 *
 * connect makes a non-blocking connect() at exactly t0 + k / RATE (an
 * absolute CLOCK_MONOTONIC timerfd, not a sleep that drifts), counts
 * EADDRNOTAVAIL (returned by connect() itself: the port search of
 * __inet_hash_connect failed) and the other failures, closes each connection
 * as soon as it is established (-m client) or on the server's FIN (-m
 * server), and prints one CSV line per second of cumulative counts and, for
 * each watched namespace, its TIME_WAIT count (/proc/net/sockstat "tw") and
 * its conntrack count (/proc/sys/net/netfilter/nf_conntrack_count; -1 where
 * conntrack is not loaded).  Those files are opened inside each namespace
 * (setns) once and re-read, so sampling costs no fork.
 *
 * Every loop is bounded: arrivals stop at -t, open sockets are capped (-c),
 * and the program exits at -t whatever is pending (pending connects are
 * printed as such).  Exit status: 0, 2 on bad arguments, 1 on a system error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEST 64
#define MAX_WATCH 8
#define MAX_PORTS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

__attribute__((format(printf, 2, 3)))
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "csvload: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void arm_abs(int tfd, int64_t t)
{
	struct itimerspec it = { .it_value = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 } };
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0)
		die(1, "timerfd_settime: %s", strerror(errno));
}

static double parse_num(const char *s, const char *opt, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		die(2, "%s '%s': expected a number in [%g, %g]", opt, s, lo, hi);
	return v;
}

static void raise_nofile(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max > 1048576 ? 1048576 : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* ---- serve ---------------------------------------------------------------- */

static int cmd_serve(int argc, char **argv)
{
	const char *addr = NULL, *ports = NULL;
	double secs = 0;
	int server_first = 0, opt;
	while ((opt = getopt(argc, argv, "a:p:t:m:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': ports = optarg; break;
		case 't': secs = parse_num(optarg, "-t", 1, 86400); break;
		case 'm':
			if (strcmp(optarg, "client") && strcmp(optarg, "server"))
				die(2, "-m '%s': expected client or server", optarg);
			server_first = !strcmp(optarg, "server");
			break;
		default: die(2, "serve: bad option");
		}
	}
	if (!addr || !ports || secs <= 0)
		die(2, "serve needs -a ADDR -p PORT[,PORT...] -t SECONDS");
	raise_nofile();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int nl = 0;
	char *list = strdup(ports), *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nl >= MAX_PORTS)
			die(2, "-p: at most %d ports", MAX_PORTS);
		struct sockaddr_in sa = { .sin_family = AF_INET };
		sa.sin_port = htons((uint16_t)parse_num(tok, "-p", 1, 65535));
		if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
			die(2, "-a '%s': expected an IPv4 address", addr);
		int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4096) < 0)
			die(1, "bind/listen %s:%s: %s", addr, tok, strerror(errno));
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)l | (1ull << 32) };
		epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
		nl++;
	}
	free(list);
	int64_t end = now_ns() + (int64_t)(secs * 1e9);
	struct epoll_event evs[256];
	while (!stop) {
		int64_t left = end - now_ns();
		if (left <= 0)
			break;
		int n = epoll_wait(ep, evs, 256, (int)(left / 1000000) + 1);
		for (int i = 0; i < n; i++) {
			int fd = (int)(evs[i].data.u64 & 0xffffffff);
			if (evs[i].data.u64 >> 32) {
				for (int k = 0; k < 64; k++) {
					int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (c < 0)
						break;
					if (server_first) {
						close(c);
						continue;
					}
					struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
			} else {
				char buf[512];
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r <= 0 && !(r < 0 && errno == EAGAIN))
					close(fd); /* EOF (the client's FIN) or an error: our FIN */
			}
		}
	}
	return 0;
}

/* ---- connect -------------------------------------------------------------- */

struct watch {
	char name[32];
	int sockstat, ctcount; /* fds opened inside the namespace, or -1 */
};

static int open_in_ns(const char *nspath, struct watch *w)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(nspath, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0)
		return -1;
	if (setns(target, CLONE_NEWNET) < 0)
		return -1;
	w->sockstat = open("/proc/self/net/sockstat", O_RDONLY | O_CLOEXEC);
	w->ctcount = open("/proc/sys/net/netfilter/nf_conntrack_count", O_RDONLY | O_CLOEXEC);
	int rc = setns(self, CLONE_NEWNET);
	close(self);
	close(target);
	return rc < 0 || w->sockstat < 0 ? -1 : 0;
}

static long read_field(int fd, const char *key)
{
	char buf[2048];
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (!key)
		return strtol(buf, NULL, 10);
	const char *p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

struct conn {
	int state; /* 0 free, 1 connecting, 2 waiting for the server's FIN */
};

static uint64_t rng_state;
static uint64_t rng_next(void)
{
	/* xorshift64*: the choice of destination, reproducible from -s. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static int cmd_connect(int argc, char **argv)
{
	struct sockaddr_in dest[MAX_DEST];
	struct watch watch[MAX_WATCH];
	int ndest = 0, nwatch = 0, server_first = 0, rr = 0, opt;
	double rate = 0, secs = 0, cap = 60000;
	rng_state = 88172645463325252ull;
	while ((opt = getopt(argc, argv, "d:r:t:m:D:s:w:c:")) != -1) {
		switch (opt) {
		case 'd': {
			char *list = strdup(optarg), *save = NULL;
			for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				char *colon = strrchr(tok, ':');
				if (!colon || ndest >= MAX_DEST)
					die(2, "-d '%s': expected ADDR:PORT (at most %d)", tok, MAX_DEST);
				*colon = 0;
				struct sockaddr_in *sa = &dest[ndest++];
				memset(sa, 0, sizeof(*sa));
				sa->sin_family = AF_INET;
				sa->sin_port = htons((uint16_t)parse_num(colon + 1, "-d port", 1, 65535));
				if (inet_pton(AF_INET, tok, &sa->sin_addr) != 1)
					die(2, "-d '%s': expected an IPv4 address", tok);
			}
			free(list);
			break;
		}
		case 'r': rate = parse_num(optarg, "-r", 0.001, 100000); break;
		case 't': secs = parse_num(optarg, "-t", 1, 86400); break;
		case 'c': cap = parse_num(optarg, "-c", 1, 1000000); break;
		case 'm':
			if (strcmp(optarg, "client") && strcmp(optarg, "server"))
				die(2, "-m '%s': expected client or server", optarg);
			server_first = !strcmp(optarg, "server");
			break;
		case 'D':
			if (strcmp(optarg, "random") && strcmp(optarg, "rr"))
				die(2, "-D '%s': expected random or rr", optarg);
			rr = !strcmp(optarg, "rr");
			break;
		case 's': rng_state = (uint64_t)parse_num(optarg, "-s", 1, 1e15) * 0x9E3779B97F4A7C15ull | 1; break;
		case 'w': {
			char *eq = strchr(optarg, '=');
			if (!eq || nwatch >= MAX_WATCH || eq - optarg >= 32 || eq == optarg)
				die(2, "-w '%s': expected NAME=/run/netns/NS (at most %d)", optarg, MAX_WATCH);
			struct watch *w = &watch[nwatch++];
			snprintf(w->name, sizeof(w->name), "%.*s", (int)(eq - optarg), optarg);
			if (open_in_ns(eq + 1, w) < 0)
				die(1, "-w %s: cannot read its /proc: %s", optarg, strerror(errno));
			break;
		}
		default: die(2, "connect: bad option");
		}
	}
	if (!ndest || rate <= 0 || secs <= 0)
		die(2, "connect needs -d ADDR:PORT -r RATE -t SECONDS");
	raise_nofile();

	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event tev = { .events = EPOLLIN, .data.u64 = ~0ull };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
	struct conn *conns = calloc((size_t)cap + 1024, sizeof(*conns));
	size_t nconns = (size_t)cap + 1024;
	long attempts = 0, established = 0, eaddrnotavail = 0, other = 0, skipped = 0, open_now = 0;
	long dest_next = 0;

	printf("time_s,attempts,established,eaddrnotavail,other_fail,pending");
	for (int i = 0; i < nwatch; i++)
		printf(",%s.tw,%s.ct", watch[i].name, watch[i].name);
	printf("\n");

	const int64_t t0 = now_ns(), tend = t0 + (int64_t)(secs * 1e9);
	long k = 0, next_sample = 1;
	int64_t next_arrival = t0;
	arm_abs(tfd, next_arrival);
	struct epoll_event evs[256];
	while (!stop) {
		int64_t t = now_ns();
		/* The per-second line, before any event of the next second. */
		while (t0 + next_sample * 1000000000ll <= t && next_sample <= (long)secs) {
			long pending = 0;
			for (size_t i = 0; i < nconns; i++)
				pending += conns[i].state == 1;
			printf("%ld.000,%ld,%ld,%ld,%ld,%ld", next_sample, attempts, established, eaddrnotavail, other, pending);
			for (int i = 0; i < nwatch; i++)
				printf(",%ld,%ld", read_field(watch[i].sockstat, " tw "), read_field(watch[i].ctcount, NULL));
			printf("\n");
			fflush(stdout);
			next_sample++;
		}
		if (t >= tend)
			break;
		/* Arrivals due now: constant spacing from t0, never re-based. */
		while (next_arrival <= t && next_arrival < tend) {
			attempts++;
			const struct sockaddr_in *d = &dest[rr ? dest_next++ % ndest : (long)(rng_next() % (uint64_t)ndest)];
			if (open_now >= (long)cap) {
				skipped++;
				other++;
			} else {
				int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
				if (fd < 0 || (size_t)fd >= nconns)
					die(1, "socket: %s", fd < 0 ? strerror(errno) : "descriptor beyond the cap");
				int rc = connect(fd, (const struct sockaddr *)d, sizeof(*d));
				if (rc < 0 && errno == EINPROGRESS) {
					struct epoll_event ce = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)fd };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
					conns[fd].state = 1;
					open_now++;
				} else if (rc == 0) {
					established++;
					close(fd);
				} else {
					if (errno == EADDRNOTAVAIL)
						eaddrnotavail++;
					else
						other++;
					close(fd);
				}
			}
			k++;
			next_arrival = t0 + (int64_t)((double)k * 1e9 / rate);
		}
		int64_t wake = next_arrival < tend ? next_arrival : tend;
		int64_t sample_at = t0 + next_sample * 1000000000ll;
		if (sample_at < wake)
			wake = sample_at;
		arm_abs(tfd, wake);
		int n = epoll_wait(ep, evs, 256, 2000);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == ~0ull) {
				uint64_t x;
				if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					die(1, "timerfd: %s", strerror(errno));
				continue;
			}
			int fd = (int)evs[i].data.u64;
			if (conns[fd].state == 1) {
				int err = 0;
				socklen_t len = sizeof(err);
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					other++;
					conns[fd].state = 0;
					open_now--;
					close(fd);
				} else if (!(evs[i].events & EPOLLOUT)) {
					continue;
				} else {
					established++;
					if (!server_first) {
						/* The client closes first: its FIN now, its TIME_WAIT later. */
						conns[fd].state = 0;
						open_now--;
						close(fd);
					} else {
						conns[fd].state = 2;
						struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)fd };
						epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ce);
					}
				}
			} else if (conns[fd].state == 2) {
				char buf[512];
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
					conns[fd].state = 0;
					open_now--;
					close(fd);
				}
			}
		}
	}
	fprintf(stderr, "csvload: %ld attempts, %ld established, %ld EADDRNOTAVAIL, %ld other (%ld over the cap)\n",
		attempts, established, eaddrnotavail, other, skipped);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "connect"))
		return cmd_connect(argc - 1, argv + 1);
	fprintf(stderr, "usage: csvload serve -a ADDR -p PORTS -t SECONDS [-m client|server]\n"
			"       csvload connect -d ADDR:PORT[,...] -r RATE -t SECONDS [-m client|server]\n"
			"                       [-D random|rr] [-s SEED] [-w NAME=/run/netns/NS] [-c CAP]\n");
	return 2;
}
