import Randomness

/// The buffers' (and the trainer's) seedable generator: the project's xoshiro256**.
public typealias SampleGenerator = Xoshiro256StarStar
