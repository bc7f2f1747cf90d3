namespace CodeRaft.Admin.Features.Siem.Management;

/// <summary>What <see cref="SiemActionDialog"/> confirms.</summary>
public enum SiemAction
{
    Remove,
    Enable,
    Disable,
    Replay,
}
