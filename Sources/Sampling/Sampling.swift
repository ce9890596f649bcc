// Sampling module
