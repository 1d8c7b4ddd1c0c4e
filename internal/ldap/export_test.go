package ldap

// IdleConns is how many service connections wait in d's pool.
func IdleConns(d *Directory) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.idle)
}
