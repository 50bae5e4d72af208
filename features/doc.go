// Package features turns frames into float32 feature vectors for the
// recurrent classifier. An Extractor is used by one goroutine at a time.
package features
