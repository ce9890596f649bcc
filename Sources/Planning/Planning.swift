// Planning module
