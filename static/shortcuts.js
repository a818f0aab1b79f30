/* Keyboard shortcuts (filled in below). */
