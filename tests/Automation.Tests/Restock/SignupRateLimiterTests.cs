using Automation.Restock;
using Microsoft.Extensions.Time.Testing;

namespace Automation.Tests.Restock;

public sealed class SignupRateLimiterTests
{
    private FakeTimeProvider _time = null!;
    private SignupRateLimiter _limiter = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 10, 15, 0, TimeSpan.Zero));
        _limiter = new SignupRateLimiter(_time);
    }

    [Test]
    public void OverLimitWithinHour_RefusedWithWaitUntilNextWindow()
    {
        Assert.That(_limiter.TryAcquire("ip:1", 2, out _), Is.True);
        Assert.That(_limiter.TryAcquire("ip:1", 2, out _), Is.True);

        Assert.That(_limiter.TryAcquire("ip:1", 2, out var wait), Is.False);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromMinutes(45)));
    }

    [Test]
    public void NextHour_AllowedAgain()
    {
        for (var i = 0; i < 3; i++) _limiter.TryAcquire("email:x", 2, out _);

        _time.Advance(TimeSpan.FromMinutes(45));

        Assert.That(_limiter.TryAcquire("email:x", 2, out _), Is.True);
    }

    [Test]
    public void OtherKey_CountedSeparately()
    {
        for (var i = 0; i < 3; i++) _limiter.TryAcquire("ip:1", 2, out _);

        Assert.That(_limiter.TryAcquire("ip:2", 2, out _), Is.True);
    }
}
