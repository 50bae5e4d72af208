// Package train fits recurrent classifiers (package rnn) with Gorgonia: the
// network is unrolled over a window of T steps for a batch of B sequences,
// the loss is back-propagated through time, the gradients are clipped by
// their global norm and Adam updates the weights. The best model on the
// validation set is kept and saved in rnn's file format, so the daemon's
// pure-Go step serves exactly what was trained.
package train
