namespace CodeRaft.Admin.Infrastructure.Hosting;

/// <summary>
/// A startup or configuration problem an operator must fix. The message is one sentence meant for a person;
/// the host prints it to stderr and exits with <see cref="ExitCode"/> (2 = configuration, 1 = a check failed).
/// </summary>
public sealed class AdminStartupException(string message, int exitCode = AdminStartupException.ConfigurationError, Exception? inner = null)
    : Exception(message, inner)
{
    public const int CheckFailed = 1;
    public const int ConfigurationError = 2;

    public int ExitCode { get; } = exitCode;
}
