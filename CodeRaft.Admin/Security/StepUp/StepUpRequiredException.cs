namespace CodeRaft.Admin.Security.StepUp;

/// <summary>A privileged operation was called without a valid step-up for the current user and circuit.</summary>
public sealed class StepUpRequiredException : InvalidOperationException
{
    public const string DefaultMessage = "Step-up required: confirm with a code from your authenticator app.";

    public StepUpRequiredException()
        : base(DefaultMessage)
    {
    }

    public StepUpRequiredException(string operation)
        : base(DefaultMessage) => Operation = operation;

    public StepUpRequiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string Operation { get; } = "";
}
