import Testing

@testable import Ingest

/// The status's receive rate is measured over at least `ReceptionRate.span` seconds, whoever pings.
@Test func theReceiveRateIsNotResetByPingsInQuickSuccession() {
    var rate = ReceptionRate(start: 0)
    // The first status, 10 s in, after 100 samples.
    #expect(rate.observe(samples: 100, at: 10) == 10)
    // Someone else's ping 0.1 s later, 2 samples more: measured from the start still, not over 0.1 s (20/s).
    #expect(abs(rate.observe(samples: 102, at: 10.1) - 102 / 10.1) < 1e-9)
    // 6 s on, 60 more: over the 6 s since the ping at 10.1 s (the latest observation at least 5 s old).
    #expect(abs(rate.observe(samples: 162, at: 16.1) - 10) < 1e-9)
    // Nothing arrives: the rate falls to 0 once the span holds no arrival.
    #expect(rate.observe(samples: 162, at: 22) == 0)
    // A status at the same instant as the reference measures nothing.
    var fresh = ReceptionRate(start: 5)
    #expect(fresh.observe(samples: 3, at: 5) == 0)
}
