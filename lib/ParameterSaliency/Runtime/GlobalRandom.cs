using static TorchSharp.torch;

namespace ParameterSaliency.Runtime;

/// <summary>
/// libtorch's default random generator is one per process. A seeded sequence of draws (a model's initialisation
/// followed by more draws) is reproducible only if no other thread draws in between: code that seeds and draws
/// holds <see cref="Gate"/> (<see cref="Seeded{T}"/>), and code whose draws are thrown away (the initialisation
/// of a module whose weights are loaded next) draws under <see cref="Gate"/> and restores the generator's state
/// (<see cref="Preserving{T}"/>), so it never shifts the sequence of a caller that seeded it.
/// </summary>
public static class GlobalRandom
{
    /// <summary>Held while seeding and drawing a sequence from the default generator.</summary>
    public static object Gate { get; } = new();

    /// <summary>Runs <paramref name="draw"/> right after <c>manual_seed(<paramref name="seed"/>)</c>, with no other draw in between.</summary>
    /// <typeparam name="T">What <paramref name="draw"/> returns, e.g. a freshly initialised module.</typeparam>
    /// <param name="seed">Seed passed to <c>manual_seed</c>.</param>
    /// <param name="draw">The code that draws from the default generator.</param>
    public static T Seeded<T>(long seed, Func<T> draw)
    {
        lock (Gate)
        {
            manual_seed(seed);
            return draw();
        }
    }

    /// <summary>Runs <paramref name="draw"/> and puts the default generator back where it was.</summary>
    /// <typeparam name="T">What <paramref name="draw"/> returns.</typeparam>
    /// <param name="draw">The code whose draws are thrown away, e.g. building a module whose weights are loaded next.</param>
    public static T Preserving<T>(Func<T> draw)
    {
        lock (Gate)
        {
            using var state = get_rng_state();
            try
            {
                return draw();
            }
            finally
            {
                set_rng_state(state);
            }
        }
    }
}
