namespace ParameterSaliency.Tests;

/// <summary>
/// The tests that must not share the process or the cores with any other: xunit runs this collection after every
/// other one, with the second core idle, so each second here costs a second of the suite. Put a test here only when
/// it cannot be made to run beside others (a child process of its own, a gate around what it shares).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Alone
{
    /// <summary>The collection's name, for <c>[Collection(Alone.Name)]</c>.</summary>
    public const string Name = "Alone";
}
