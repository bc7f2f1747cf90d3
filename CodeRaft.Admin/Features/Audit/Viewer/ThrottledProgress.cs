namespace CodeRaft.Admin.Features.Audit.Viewer;

/// <summary>
/// Carries progress from a background task to a component. <see cref="Report"/> may be called from any thread
/// and as often as the producer likes; the callback (which should marshal with the component's InvokeAsync)
/// runs at most once per interval, plus once for completion, so a fast producer cannot flood the circuit with
/// renders.
/// </summary>
public sealed class ThrottledProgress(Func<double, Task> onProgress, TimeProvider time, TimeSpan interval) : IProgress<double>
{
    private long _lastReport;

    public void Report(double value)
    {
        var now = time.GetTimestamp();
        if (value < 1)
        {
            var last = Interlocked.Read(ref _lastReport);
            if ((last != 0 && time.GetElapsedTime(last, now) < interval) || Interlocked.CompareExchange(ref _lastReport, now, last) != last)
            {
                return; // too soon after the previous report, or another thread reported at the same moment
            }
        }

        _ = Deliver(value);
    }

    private async Task Deliver(double value)
    {
        try
        {
            await onProgress(value);
        }
        catch (ObjectDisposedException)
        {
            // The component (or its circuit) is gone; nobody is watching the bar any more.
        }
    }
}
