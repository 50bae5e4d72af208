package synth

// The activities. Each is defined by motion alone: the actor's look never
// depends on its class, so one frame cannot tell move_left from move_right.
const (
	Idle      = "idle"       // stays put, with a slight wobble
	MoveLeft  = "move_left"  // translates leftwards
	MoveRight = "move_right" // translates rightwards
	MoveUp    = "move_up"    // translates upwards
	MoveDown  = "move_down"  // translates downwards
	Approach  = "approach"   // grows, as if coming closer
	Recede    = "recede"     // shrinks, as if going away
	RotateCW  = "rotate_cw"  // turns clockwise on screen
	RotateCCW = "rotate_ccw" // turns counter-clockwise on screen
	Bounce    = "bounce"     // hops up and down
)

// Classes returns every activity label, in a fixed order (a new slice each
// call).
func Classes() []string {
	return []string{Idle, MoveLeft, MoveRight, MoveUp, MoveDown, Approach, Recede, RotateCW, RotateCCW, Bounce}
}

// IsClass reports whether label is one of Classes().
func IsClass(label string) bool {
	for _, c := range Classes() {
		if c == label {
			return true
		}
	}
	return false
}
