package netcode

// Event is one game event: a kind and up to MaxEventFields integers whose
// meaning the game defines per kind (PROTOCOL.md lists Pantheon's).
type Event struct {
	Kind   int32
	N      uint8                 // how many of Fields are used
	Fields [MaxEventFields]int32 // Fields[:N] travel on the wire
}

// Values returns the used fields.
func (e *Event) Values() []int32 { return e.Fields[:e.N] }

// MakeEvent builds an event; fields past MaxEventFields are dropped.
func MakeEvent(kind int32, fields ...int32) Event {
	e := Event{Kind: kind}
	e.N = uint8(copy(e.Fields[:], fields))
	return e
}

// EventsFrame carries the events of one server tick, in the order the
// simulation produced them.
type EventsFrame struct {
	Tick   uint32
	Events []Event // at most MaxEventsPerFrame
}

// AppendEvents appends f as [18, tick, [[kind, field...]...]]. Events past
// MaxEventsPerFrame are not written; the caller splits larger batches.
func AppendEvents(dst []byte, f *EventsFrame) []byte {
	ev := f.Events
	if len(ev) > MaxEventsPerFrame {
		ev = ev[:MaxEventsPerFrame]
	}
	dst = append(dst, 0x93, byte(KindEvents))
	dst = appendUint(dst, uint64(f.Tick))
	dst = appendArrayLen(dst, len(ev))
	for i := range ev {
		e := &ev[i]
		n := min(int(e.N), MaxEventFields)
		dst = appendArrayLen(dst, 1+n)
		dst = appendInt(dst, int64(e.Kind))
		for _, v := range e.Fields[:n] {
			dst = appendInt(dst, int64(v))
		}
	}
	return dst
}

// DecodeEvents decodes an events frame into f, reusing f.Events' capacity.
// An event with more than MaxEventFields integers is malformed.
func DecodeEvents(frame []byte, f *EventsFrame) error {
	r := reader{b: frame}
	extra, err := header(&r, KindEvents, 2)
	if err != nil {
		return err
	}
	if f.Tick, err = r.uint32(); err != nil {
		return err
	}
	n, err := r.arrayLen(MaxEventsPerFrame)
	if err != nil {
		return err
	}
	f.Events = f.Events[:0]
	for i := 0; i < n; i++ {
		m, err := r.arrayLen(1 + MaxEventFields)
		if err != nil {
			return err
		}
		if m < 1 {
			return r.errf("event without a kind")
		}
		var e Event
		if e.Kind, err = r.int32(); err != nil {
			return err
		}
		e.N = uint8(m - 1)
		for j := 0; j < m-1; j++ {
			if e.Fields[j], err = r.int32(); err != nil {
				return err
			}
		}
		f.Events = append(f.Events, e)
	}
	return finish(&r, extra-2)
}
