using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CodeRaft.Admin.Security.StepUp;

/// <summary>
/// Names one privileged component instance (one <c>StepUpGate</c>) inside a circuit. 128 random bits, so a
/// ticket cannot be guessed or collide; it is only meaningful to the <see cref="StepUpService"/> of the circuit
/// that issued it, which is what keeps one browser tab from unlocking another.
/// </summary>
public readonly record struct StepUpTicket
{
    private readonly UInt128 _value;

    private StepUpTicket(UInt128 value) => _value = value;

    /// <summary>The default value: never unlocked.</summary>
    public bool IsEmpty => _value == UInt128.Zero;

    public static StepUpTicket New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        var value = BinaryPrimitives.ReadUInt128LittleEndian(bytes);
        return new(value == UInt128.Zero ? UInt128.One : value);
    }

    public override string ToString() => $"StepUpTicket({(ulong)(_value >> 96):x8}…)";
}
