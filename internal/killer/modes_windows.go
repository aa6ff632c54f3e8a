package killer

// modesHere are Windows's: its job object, which Auto picks.
var modesHere = []Mode{Auto, Job}
