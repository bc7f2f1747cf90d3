using System.Collections.Concurrent;
using CodeRaft.Admin.Security.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.Security.Logging;

public sealed partial class RedactionTests
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to {Endpoint} with token {Token} for {Email}")]
    private static partial void LogConnecting(ILogger logger, string endpoint, [SecretData] string token, [PersonalData] string email);

    [Fact]
    public void Log_ClassifiedParameters_NeverReachTheProvider()
    {
        var capture = new CaptureProvider();
        using var services = new ServiceCollection()
            .AddLogging(logging => logging.AddAdminRedaction().AddProvider(capture))
            .BuildServiceProvider();
        var logger = services.GetRequiredService<ILogger<RedactionTests>>();

        LogConnecting(logger, "siem.example.test:6514", "hec-token-5f1c2d9e", "alice@example.test");

        var entry = Assert.Single(capture.Entries);
        Assert.Contains("siem.example.test:6514", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("hec-token-5f1c2d9e", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("alice@example.test", entry, StringComparison.Ordinal);
    }

    private sealed class CaptureProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CaptureLogger(Entries);

        public void Dispose()
        {
        }

        private sealed class CaptureLogger(ConcurrentQueue<string> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                // Both the rendered message and every structured value a provider could ship.
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                entries.Enqueue(formatter(state, exception) + " | " + values);
            }
        }
    }
}
