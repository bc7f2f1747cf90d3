using System.Collections.Concurrent;
using CodeRaft.Admin.Features.Audit.Viewer;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

public sealed class ThrottledProgressTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentQueue<double> _delivered = new();

    [Fact]
    public void Report_ManyWithinOneInterval_DeliversTheFirstOnly()
    {
        var progress = New();

        progress.Report(0.1);
        progress.Report(0.2);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        progress.Report(0.3);

        Assert.Equal([0.1], _delivered);
    }

    [Fact]
    public void Report_AfterTheInterval_DeliversAgain()
    {
        var progress = New();

        progress.Report(0.1);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        progress.Report(0.5);

        Assert.Equal([0.1, 0.5], _delivered);
    }

    [Fact]
    public void Report_Completion_IsAlwaysDelivered()
    {
        var progress = New();

        progress.Report(0.1);
        progress.Report(1);

        Assert.Equal([0.1, 1], _delivered);
    }

    [Fact]
    public void Report_ComponentGone_IsSwallowed()
    {
        var progress = new ThrottledProgress(_ => throw new ObjectDisposedException("renderer"), _time, TimeSpan.FromMilliseconds(100));

        Assert.Null(Record.Exception(() => progress.Report(1)));
    }

    private ThrottledProgress New() => new(value =>
    {
        _delivered.Enqueue(value);
        return Task.CompletedTask;
    }, _time, TimeSpan.FromMilliseconds(100));
}
