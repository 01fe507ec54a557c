//go:build !unix

package main

// noCoreFile does nothing where the system writes no core files.
func noCoreFile() {}
