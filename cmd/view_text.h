/*
 * view_text: the terminal view of a ladder (cmd/ladder.h): one line per
 * segment (time, sender -> receiver, flags, relative seq/ack, TSval/TSecr,
 * when it arrived or why it was dropped) and per note (a state, a conntrack
 * entry's state and remaining timeout, a rule with its kernel function, a
 * timer, an application call), in time order.  ANSI colour only if asked.
 */
#ifndef CONNSIM_CMD_VIEW_TEXT_H
#define CONNSIM_CMD_VIEW_TEXT_H

#include <glib.h>
#include <stdbool.h>

#include "cmd/ladder.h"

void view_text(const ladder *l, bool color, GString *out);

#endif
