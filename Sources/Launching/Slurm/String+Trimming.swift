extension String {
    /// The text without leading and trailing blanks.
    var trimmingBlanks: String { String(Substring(self).trimmingSpaces) }
}
