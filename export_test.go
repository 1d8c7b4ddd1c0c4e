package tc

// CommonPasswordCount is the number of passwords on the list.
func CommonPasswordCount() int { return len(commonPasswords()) }
