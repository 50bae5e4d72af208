// Package report measures and shows a classifier's results: confusion
// matrices with per-class precision, recall and F1, PNG plots of training
// curves and of the confusion matrix (drawn with GoCV), metrics.json, and a
// progress line with rate and ETA for long loops.
package report
