using CodeRaft.Admin.Security.Throttling;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.Throttling;

public sealed class TokenBucketsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));

    private static bool Take(TokenBuckets<string> buckets, string key, int perMinute) => buckets.TryTake(key, perMinute, out _);

    [Fact]
    public void TryTake_BurstOfTheWholeMinute_ThenRefusedWithTheWaitForOneToken()
    {
        var buckets = new TokenBuckets<string>(_time);

        var taken = Enumerable.Range(0, 15).Count(_ => Take(buckets, "k", 10));
        var refused = buckets.TryTake("k", 10, out var retryAfter);

        Assert.Equal(10, taken);
        Assert.False(refused);
        Assert.Equal(TimeSpan.FromSeconds(6), retryAfter);
    }

    [Fact]
    public void TryTake_AfterTheRetryAfter_OneMoreToken()
    {
        var buckets = new TokenBuckets<string>(_time);
        while (buckets.TryTake("k", 10, out _))
        {
        }

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(buckets.TryTake("k", 10, out var stillWaiting));
        Assert.Equal(TimeSpan.FromSeconds(1), stillWaiting);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(buckets.TryTake("k", 10, out _));
        Assert.False(buckets.TryTake("k", 10, out _));
    }

    [Fact]
    public void TryTake_AfterAQuietMinute_FullAgainButNeverMore()
    {
        var buckets = new TokenBuckets<string>(_time);
        while (buckets.TryTake("k", 4, out _))
        {
        }

        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(4, Enumerable.Range(0, 10).Count(_ => Take(buckets, "k", 4)));
    }

    [Fact]
    public void TryTake_PartitionsAreSeparate()
    {
        var buckets = new TokenBuckets<string>(_time);
        while (buckets.TryTake("a", 3, out _))
        {
        }

        Assert.True(buckets.TryTake("b", 3, out _));
    }

    [Fact]
    public void TryTake_RateLowered_WhatIsLeftOfTheMinuteBuysTokensAtTheNewRate()
    {
        var buckets = new TokenBuckets<string>(_time);
        Assert.True(buckets.TryTake("k", 100, out _)); // 0.6 s of the minute spent

        Assert.Equal(1, Enumerable.Range(0, 10).Count(_ => Take(buckets, "k", 2))); // 59.4 s left, 30 s a token
    }

    [Fact]
    public void TryTake_RateRaised_NewRateAtOnce()
    {
        var buckets = new TokenBuckets<string>(_time);
        Assert.Equal(2, Enumerable.Range(0, 10).Count(_ => Take(buckets, "k", 2)));
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(50, Enumerable.Range(0, 100).Count(_ => Take(buckets, "k", 100)));
    }

    [Fact]
    public void IsEmpty_ChargedToZero_TrueAndTakesNothing()
    {
        var buckets = new TokenBuckets<string>(_time);
        Assert.False(buckets.IsEmpty("ip", 2, out _));
        Assert.Equal(0, buckets.Count); // looking does not create a bucket

        buckets.Charge("ip", 2);
        Assert.False(buckets.IsEmpty("ip", 2, out _));
        buckets.Charge("ip", 2);

        Assert.True(buckets.IsEmpty("ip", 2, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(30), retryAfter);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(buckets.IsEmpty("ip", 2, out _));
    }

    [Fact]
    public void Charge_ConcurrentFailuresPastTheLastToken_RunIntoDebtAndBlockLonger()
    {
        // Three requests passed IsEmpty together while one token (of 2/min) was left; each is charged.
        var buckets = new TokenBuckets<string>(_time);
        buckets.Charge("ip", 2);
        buckets.Charge("ip", 2);
        buckets.Charge("ip", 2);
        buckets.Charge("ip", 2);

        Assert.True(buckets.IsEmpty("ip", 2, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(90), retryAfter); // 60 s of debt plus the 30 s a token costs
        _time.Advance(TimeSpan.FromSeconds(89));
        Assert.True(buckets.IsEmpty("ip", 2, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(buckets.IsEmpty("ip", 2, out _));

        // The debt is bounded at one minute, however many requests are charged.
        for (var i = 0; i < 1000; i++)
        {
            buckets.Charge("flood", 2);
        }

        Assert.True(buckets.IsEmpty("flood", 2, out var bounded));
        Assert.Equal(TimeSpan.FromSeconds(90), bounded);
    }

    [Fact]
    public void Charge_ManyMorePartitionsThanTheBound_CountStaysWithinIt()
    {
        var buckets = new TokenBuckets<string>(_time, maxPartitions: 50);

        for (var i = 0; i < 10_000; i++)
        {
            buckets.Charge($"10.0.{i / 256}.{i % 256}", 5);
            if (i % 100 == 0)
            {
                _time.Advance(TimeSpan.FromSeconds(20)); // some buckets refill and can be forgotten
            }

            Assert.True(buckets.Count <= 50);
        }
    }

    [Fact]
    public void Charge_BoundReachedAndNothingFull_NewPartitionsUntrackedOldOnesStillEmpty()
    {
        var buckets = new TokenBuckets<string>(_time, maxPartitions: 3);
        foreach (var address in new[] { "a", "b", "c" })
        {
            buckets.Charge(address, 1);
        }

        buckets.Charge("d", 1);

        Assert.Equal(3, buckets.Count);
        Assert.True(buckets.IsEmpty("a", 1, out _));
        Assert.False(buckets.IsEmpty("d", 1, out _));
    }
}
