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

#include "models/world.h"

typedef struct connlog connlog;

/* Writes the column line to fp, then attaches to W's tap.  fp stays the
 * caller's; W must outlive the log or connlog_finish be called first. */
connlog *connlog_new(world *W, FILE *fp);
/* The still-open connections' rows, in connect() order; detaches the tap. */
void connlog_finish(connlog *c);
void connlog_free(connlog *c);

#endif
