package pdu

// queue is a binary heap of pending PDUs ordered by id (oldest first) or,
// for timers, by deadline (or wall deadline) then id; each PDU knows its
// index.
type queue struct {
	items      []*pending
	byDeadline bool
	byWall     bool // by wallDue then id
	where      uint8
}

func (q *queue) less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if q.byDeadline && a.deadline != b.deadline {
		return a.deadline < b.deadline
	}
	if q.byWall && a.wallDue != b.wallDue {
		return a.wallDue < b.wallDue
	}
	return a.id < b.id
}

func (q *queue) swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.items[i].idx, q.items[j].idx = i, j
}

func (q *queue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *queue) down(i int) {
	n := len(q.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			return
		}
		q.swap(i, m)
		i = m
	}
}

func (q *queue) push(p *pending) {
	p.where, p.idx = q.where, len(q.items)
	q.items = append(q.items, p)
	q.up(p.idx)
}

func (q *queue) top() *pending {
	if len(q.items) == 0 {
		return nil
	}
	return q.items[0]
}

func (q *queue) remove(i int) *pending {
	p := q.items[i]
	last := len(q.items) - 1
	if i != last {
		q.swap(i, last)
	}
	q.items[last] = nil
	q.items = q.items[:last]
	if i != last {
		q.down(i)
		q.up(i)
	}
	p.where, p.idx = inNone, -1
	return p
}

func (q *queue) init() {
	for i := len(q.items)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}
