/*
 * connlog: the per-connection log of a run (`connsim run --connections
 * FILE`), built on the models' tap (models/tap.h): one CSV row per connect()
 * call of a client, written when the connection's life ends (its client
 * socket or TIME_WAIT is gone, or connect() failed), so memory holds only
 * the connections still open; those are written at the end with outcome
 * "open".  Attaching it changes nothing else a run computes.
 */
#ifndef CONNSIM_CMD_CONNLOG_H
#define CONNSIM_CMD_CONNLOG_H

#include <stdio.h>

#include "models/tap.h"
#include "models/world.h"

typedef struct connlog connlog;

/* Writes the column line to fp.  fp stays the caller's.  The log sees the
 * run through its tap (connlog_tap), which the caller attaches to W
 * (world_set_tap, alone or through a tee of its own) and detaches before
 * connlog_finish. */
connlog *connlog_new(world *W, FILE *fp);
const tap *connlog_tap(connlog *c);
/* The still-open connections' rows, in connect() order. */
void connlog_finish(connlog *c);
void connlog_free(connlog *c);

#endif
