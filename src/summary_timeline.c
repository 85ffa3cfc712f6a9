/*-------------------------------------------------------------------------
 *
 * summary_timeline.c
 *	  The summary rules: what a customer's row and history count.
 *
 * A customer's contribution to the summaries is a function of its row and
 * its history (churn.history), replayed in time order: it starts at since,
 * stops at each loss, comes back at each reactivation, moves at each move,
 * changes state at each state transition, and its state counts from the
 * moment it is known.  Each capture subtracts the old contribution of the
 * rows a statement changed and adds the new one, so corrections behave "as
 * if the rows had always been that way".
 *
 * This file is the one definition of those rules:
 *
 * - summary_row_rules: what a start and a stop count (which the row alone
 *   tells), applied by summary_apply_rules.  The replay of a timeline
 *   applies them at its points; the captures of rows without history apply
 *   them to groups of rows directly, in C (summary_capture_insert) and in
 *   the SQL that summary_sql.c generates from this table;
 * - summary_timeline: the replay, with the moves, reactivations and state
 *   transitions only a history tells.  The capture in C runs it per
 *   customer; the set-based capture, rebuild and verify run it through
 *   churn._timeline (below) for the customers with history.
 *
 * The kinds of counts are those of summary_kinds.h.
 *
 * src/summary_timeline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "summary_capture.h"
#include "summary_kinds.h"

/* ---- events ---- */

/* add an event (a count of w) to a statement's events */
void
summary_add_event(EventBuf *ev, Timestamp b, char kind, const char *ch, const char *sg,
				  const char *d, int w)
{
	if (ev->n == ev->cap)
	{
		int			cap = ev->cap ? ev->cap * 2 : 16;

		if (ev->cap == 0)
		{
			ev->b = palloc(sizeof(Datum) * cap);
			ev->kind = palloc(sizeof(Datum) * cap);
			ev->ch = palloc(sizeof(Datum) * cap);
			ev->ch_null = palloc(sizeof(bool) * cap);
			ev->sg = palloc(sizeof(Datum) * cap);
			ev->d = palloc(sizeof(Datum) * cap);
			ev->d_null = palloc(sizeof(bool) * cap);
			ev->w = palloc(sizeof(Datum) * cap);
		}
		else
		{
			ev->b = repalloc(ev->b, sizeof(Datum) * cap);
			ev->kind = repalloc(ev->kind, sizeof(Datum) * cap);
			ev->ch = repalloc(ev->ch, sizeof(Datum) * cap);
			ev->ch_null = repalloc(ev->ch_null, sizeof(bool) * cap);
			ev->sg = repalloc(ev->sg, sizeof(Datum) * cap);
			ev->d = repalloc(ev->d, sizeof(Datum) * cap);
			ev->d_null = repalloc(ev->d_null, sizeof(bool) * cap);
			ev->w = repalloc(ev->w, sizeof(Datum) * cap);
		}
		ev->cap = cap;
	}
	ev->b[ev->n] = TimestampGetDatum(b);
	ev->kind[ev->n] = CharGetDatum(kind);
	ev->ch_null[ev->n] = (ch == NULL);
	ev->ch[ev->n] = ch ? CStringGetTextDatum(ch) : (Datum) 0;
	ev->sg[ev->n] = CStringGetTextDatum(sg);
	ev->d_null[ev->n] = (d == NULL);
	ev->d[ev->n] = d ? CStringGetTextDatum(d) : (Datum) 0;
	ev->w[ev->n] = Int32GetDatum(w);
	ev->n++;
}

/* text datums equal (both NULL, or same bytes) */
static bool
text_datum_eq(Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull && bnull;
	return VARSIZE_ANY_EXHDR(DatumGetPointer(a)) == VARSIZE_ANY_EXHDR(DatumGetPointer(b)) &&
		memcmp(VARDATA_ANY(DatumGetPointer(a)), VARDATA_ANY(DatumGetPointer(b)),
			   VARSIZE_ANY_EXHDR(DatumGetPointer(a))) == 0;
}

/*
 * Sum identical events and drop those that cancel out (an old and a new
 * contribution of the same row), as the GROUP BY ... HAVING of the SQL path.
 */
void
summary_merge_events(EventBuf *ev)
{
	int			out = 0;

	for (int i = 0; i < ev->n; i++)
	{
		int			j;

		for (j = 0; j < out; j++)
			if (ev->b[j] == ev->b[i] && ev->kind[j] == ev->kind[i] &&
				text_datum_eq(ev->ch[j], ev->ch_null[j], ev->ch[i], ev->ch_null[i]) &&
				text_datum_eq(ev->sg[j], false, ev->sg[i], false) &&
				text_datum_eq(ev->d[j], ev->d_null[j], ev->d[i], ev->d_null[i]))
				break;
		if (j < out)
			ev->w[j] = Int32GetDatum(DatumGetInt32(ev->w[j]) + DatumGetInt32(ev->w[i]));
		else
		{
			ev->b[out] = ev->b[i];
			ev->kind[out] = ev->kind[i];
			ev->ch[out] = ev->ch[i];
			ev->ch_null[out] = ev->ch_null[i];
			ev->sg[out] = ev->sg[i];
			ev->d[out] = ev->d[i];
			ev->d_null[out] = ev->d_null[i];
			ev->w[out] = ev->w[i];
			out++;
		}
	}
	ev->n = 0;
	for (int i = 0; i < out; i++)
		if (DatumGetInt32(ev->w[i]) != 0)
		{
			ev->b[ev->n] = ev->b[i];
			ev->kind[ev->n] = ev->kind[i];
			ev->ch[ev->n] = ev->ch[i];
			ev->ch_null[ev->n] = ev->ch_null[i];
			ev->sg[ev->n] = ev->sg[i];
			ev->d[ev->n] = ev->d[i];
			ev->d_null[ev->n] = ev->d_null[i];
			ev->w[ev->n] = ev->w[i];
			ev->n++;
		}
}

/* ---- the rules of a start and a stop ---- */

/*
 * What a customer's start and stop count.  The order of the table is the
 * order of the VALUES lists of summary_sql.c.
 */
const SummaryRule summary_row_rules[] = {
	/* a start: a new customer of its cell */
	{SUMMARY_KIND_NEW, RULE_AT_START, RULE_ALWAYS, RULE_KEY_CELL},
	/* its lifecycle state, from when the state is known */
	{SUMMARY_KIND_STATE_ENTERED, RULE_AT_STATE_KNOWN, RULE_IF_STATE, RULE_KEY_STATE},
	/* a stop: a loss of its cell ... */
	{SUMMARY_KIND_LOST, RULE_AT_STOP, RULE_ALWAYS, RULE_KEY_CELL},
	/* ... from the bucket's start when it was there at the start */
	{SUMMARY_KIND_LOST_FROM_START, RULE_AT_STOP, RULE_IF_STAYED_BEFORE, RULE_KEY_CELL},
	/* ... by its reason, when the reason is tracked */
	{SUMMARY_KIND_LOST_BY_REASON, RULE_AT_STOP, RULE_IF_REASON_TRACKED, RULE_KEY_REASON}
};
const int	summary_nrow_rules = lengthof(summary_row_rules);

/*
 * Apply the rules of one point of a timeline (a start, the state known, a
 * stop) to what the customer is at that point, calling emit for each count.
 * r->bucket is the bucket of the point; r->stay_bucket, at a stop, that of
 * the start of the stay it ends.
 */
void
summary_apply_rules(SummaryRuleAt at, const SummaryRuleRow *r, int64 w,
					summary_emit_fn emit, void *arg)
{
	for (int i = 0; i < summary_nrow_rules; i++)
	{
		const SummaryRule *rule = &summary_row_rules[i];
		const char *ch = NULL;
		const char *sg = "{}";
		const char *d = NULL;

		if (rule->at != at)
			continue;
		switch (rule->when)
		{
			case RULE_ALWAYS:
				break;
			case RULE_IF_STATE:
				if (r->state == NULL)
					continue;
				break;
			case RULE_IF_STAYED_BEFORE:
				if (!(r->stay_bucket < r->bucket))
					continue;
				break;
			case RULE_IF_REASON_TRACKED:
				if (!r->with_reason)
					continue;
				break;
		}
		switch (rule->key)
		{
			case RULE_KEY_CELL:
				ch = r->channel;
				sg = r->segment;
				break;
			case RULE_KEY_REASON:
				ch = r->channel;
				d = r->reason;
				break;
			case RULE_KEY_STATE:
				d = r->state;
				break;
		}
		emit(arg, r->bucket, (char) rule->kind, ch, sg, d, w);
	}
}

/* ---- the timeline ---- */

/*
 * The points of a customer's timeline, in the order they take effect at
 * the same time: a start, the losses ended by reactivations, moves,
 * reactivations, the state becoming known, state transitions, a stop.
 */
typedef enum PointKind
{
	POINT_START,
	POINT_REACTIVATION_LOSS,
	POINT_MOVE,
	POINT_REACTIVATION,
	POINT_STATE_KNOWN,
	POINT_STATE,
	POINT_STOP
} PointKind;

typedef struct Point
{
	Timestamp	at;
	PointKind	what;
	int64		seq;			/* the history entry's, among equal points */
	const char *channel;		/* a move's new channel */
	const char *reason;			/* a loss's reason */
	const char *to_state;		/* a transition's new state */
} Point;

static int
point_cmp(const void *a, const void *b)
{
	const Point *x = a;
	const Point *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->what != y->what)
		return x->what < y->what ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int
hist_cmp(const void *a, const void *b)
{
	const HistEntry *x = a;
	const HistEntry *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* summary_emit_fn of a timeline: into an EventBuf */
static void
emit_event(void *arg, Timestamp b, char kind, const char *ch, const char *sg, const char *d, int64 w)
{
	summary_add_event((EventBuf *) arg, b, kind, ch, sg, d, (int) w);
}

static Timestamp
max_ts(Timestamp a, Timestamp b)
{
	return a > b ? a : b;
}

/*
 * The events of one customer row with its history (possibly empty), each
 * with weight w (-1 to take a contribution out).  states_from is when the
 * table's lifecycle states began to be known (-infinity: from since).
 *
 * A customer's state is known from the later of its since and the earlier
 * of states_from and its first state transition: before tracking, churn
 * does not know which states a customer went through, and counting its
 * state as of tracking from its since would invent them.
 */
void
summary_timeline(EventBuf *ev, const CapRow *r, HistEntry *h, int nh, const Interval *width,
				 bool with_reason, Timestamp states_from, int w)
{
	const char *cur_ch = r->ch;
	const char *cur_st = r->st;
	bool		started = false;
	bool		active = false;
	Timestamp	stay_start = 0;
	bool		have_react = false;
	Timestamp	last_react = 0;
	Timestamp	known = states_from;
	Point	   *pts;
	int			np = 0;
	SummaryRuleRow rr;

	if (!r->has_s)
		return;
	if (nh > 1)
		qsort(h, nh, sizeof(HistEntry), hist_cmp);
	/* the channel and state before the first move and transition */
	for (int i = 0; i < nh; i++)
		if (h[i].kind == HISTORY_MOVE)
		{
			cur_ch = h[i].from_channel;
			break;
		}
	for (int i = 0; i < nh; i++)
		if (h[i].kind == HISTORY_STATE)
		{
			cur_st = h[i].from_state;
			if (h[i].at < known)
				known = h[i].at;
			break;
		}
	known = max_ts(r->s, known);
	for (int i = 0; i < nh; i++)
		if (h[i].kind == HISTORY_REACTIVATION && (!have_react || h[i].at > last_react))
		{
			have_react = true;
			last_react = h[i].at;
		}
	if (r->has_u && have_react && r->u < last_react)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("until value \"%s\" precedes the reactivation at \"%s\" of customer \"%s\"",
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(r->u))),
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(last_react))),
						r->key ? r->key : "NULL"),
				 errhint("A customer won back cannot have stopped before it came back; correct the row or set until to NULL.")));

	pts = palloc(sizeof(Point) * (2 * nh + 3));
	pts[np++] = (Point)
	{
		r->s, POINT_START, 0, NULL, NULL, NULL
	};
	pts[np++] = (Point)
	{
		known, POINT_STATE_KNOWN, 0, NULL, NULL, NULL
	};
	for (int i = 0; i < nh; i++)
	{
		PointKind	what = h[i].kind == HISTORY_MOVE ? POINT_MOVE :
			h[i].kind == HISTORY_REACTIVATION ? POINT_REACTIVATION : POINT_STATE;

		if (h[i].kind == HISTORY_REACTIVATION)
			pts[np++] = (Point)
		{
			h[i].lost_at, POINT_REACTIVATION_LOSS, h[i].seq, NULL, h[i].reason, NULL
		};
		pts[np++] = (Point)
		{
			h[i].at, what, h[i].seq, h[i].channel, NULL, h[i].to_state
		};
	}
	if (r->has_u)
		pts[np++] = (Point)
	{
		r->u, POINT_STOP, 0, NULL, r->rs, NULL
	};
	qsort(pts, np, sizeof(Point), point_cmp);

	memset(&rr, 0, sizeof(rr));
	rr.segment = r->sg;
	rr.with_reason = with_reason;
	for (int i = 0; i < np; i++)
	{
		Point	   *p = &pts[i];
		Timestamp	b = summary_bucket_floor(p->at, width);

		switch (p->what)
		{
			case POINT_START:
				started = true;
				active = true;
				stay_start = p->at;
				rr.bucket = b;
				rr.channel = cur_ch;
				summary_apply_rules(RULE_AT_START, &rr, w, emit_event, ev);
				break;
			case POINT_STATE_KNOWN:
				rr.bucket = b;
				rr.state = cur_st;
				summary_apply_rules(RULE_AT_STATE_KNOWN, &rr, w, emit_event, ev);
				break;
			case POINT_REACTIVATION_LOSS:
			case POINT_STOP:
				if (active)
				{
					active = false;
					rr.bucket = b;
					rr.stay_bucket = summary_bucket_floor(stay_start, width);
					rr.channel = cur_ch;
					rr.reason = p->reason;
					summary_apply_rules(RULE_AT_STOP, &rr, w, emit_event, ev);
				}
				break;
			case POINT_MOVE:
				if (active && !summary_str_eq(cur_ch, p->channel))
				{
					summary_add_event(ev, b, SUMMARY_KIND_MOVED_OUT, cur_ch, r->sg, NULL, w);
					summary_add_event(ev, b, SUMMARY_KIND_MOVED_IN, p->channel, r->sg, NULL, w);
					summary_add_event(ev, b, SUMMARY_KIND_MOVED, cur_ch, "{}", p->channel, w);
					stay_start = p->at;
				}
				cur_ch = p->channel;
				break;
			case POINT_REACTIVATION:
				if (started && !active)
				{
					active = true;
					stay_start = p->at;
					summary_add_event(ev, b, SUMMARY_KIND_REACTIVATED, cur_ch, r->sg, NULL, w);
				}
				break;
			case POINT_STATE:
				if (started && !summary_str_eq(cur_st, p->to_state))
				{
					if (cur_st)
						summary_add_event(ev, b, SUMMARY_KIND_STATE_LEFT, NULL, "{}", cur_st, w);
					if (p->to_state)
						summary_add_event(ev, b, SUMMARY_KIND_STATE_ENTERED, NULL, "{}", p->to_state, w);
					if (cur_st && p->to_state)
						summary_add_event(ev, b, SUMMARY_KIND_TRANSITION, NULL, "{}",
										  psprintf("%s>%s", cur_st, p->to_state), w);
				}
				cur_st = p->to_state;
				break;
		}
	}
}

/* ---- the timeline in SQL ---- */

PG_FUNCTION_INFO_V1(churn_timeline);

/*
 * churn._timeline(customer text, since timestamp, until timestamp, channel
 * text, segment jsonb, reason text, state text, history
 * churn.history_entry[], width interval, weight int4, with_reason bool,
 * states_from timestamp) → SETOF (b timestamp, kind "char", ch text, sg
 * jsonb, d text, n int4): summary_timeline for the set-based capture,
 * rebuild and verify (local times of the table's time zone).
 */
Datum
churn_timeline(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CapRow		r;
	HistList	hl;
	EventBuf	ev;
	Interval   *width;
	int			w;
	Datum		empty;

	InitMaterializedSRF(fcinfo, 0);
	/* not a customer yet, or nothing to weigh */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(8) || PG_ARGISNULL(9) || PG_ARGISNULL(10) ||
		PG_ARGISNULL(11))
		return (Datum) 0;

	memset(&r, 0, sizeof(r));
	r.key = PG_ARGISNULL(0) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(0));
	r.has_s = true;
	r.s = PG_GETARG_TIMESTAMP(1);
	r.has_u = !PG_ARGISNULL(2);
	if (r.has_u)
		r.u = PG_GETARG_TIMESTAMP(2);
	r.ch = PG_ARGISNULL(3) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(3));
	r.sg = PG_ARGISNULL(4) ? "{}" :
		DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(4)));
	r.rs = PG_ARGISNULL(5) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(5));
	r.st = PG_ARGISNULL(6) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(6));
	memset(&hl, 0, sizeof(hl));
	if (!PG_ARGISNULL(7))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(7);
		HistoryEntryType et;

		summary_entry_type(ARR_ELEMTYPE(arr), &et);
		summary_decode_history(arr, &et, &hl, r.key);
	}
	width = PG_GETARG_INTERVAL_P(8);
	w = PG_GETARG_INT32(9);

	memset(&ev, 0, sizeof(ev));
	summary_timeline(&ev, &r, hl.e, hl.n, width, PG_GETARG_BOOL(10), PG_GETARG_TIMESTAMP(11), w);

	empty = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	for (int i = 0; i < ev.n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		char	   *sg = TextDatumGetCString(ev.sg[i]);

		values[0] = ev.b[i];
		values[1] = ev.kind[i];
		values[2] = ev.ch[i];
		nulls[2] = ev.ch_null[i];
		/* the row's own segment, or none */
		values[3] = strcmp(sg, "{}") == 0 ? empty :
			(PG_ARGISNULL(4) ? empty : PG_GETARG_DATUM(4));
		values[4] = ev.d[i];
		nulls[4] = ev.d_null[i];
		values[5] = ev.w[i];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
