using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Runs the batched passes of one profiling call on two lanes at once: two threads, each with half of libtorch's threads
/// for this process, the first profiling with the model itself and the second with a replica (built by the builder given to
/// <see cref="ExactReference.Register"/>, the model's weights copied in at every call), each with its own
/// <see cref="SettlingCheck"/> and float64 twin. Small images leave libtorch's threads waiting on each other in every
/// operation (a fifth of a checked pass sat in OpenMP's wait on the default model); two passes side by side keep the cores busy.
/// Measured on 2 cores (Intel Xeon, the default model, 2,048 test images, passes of 64, each checked): one pass at a time
/// with 2 threads 268-346 img/s, two lanes of 1 thread 317-390 img/s in the same runs (1.08-1.18x); through the profiler,
/// 1.04-1.28x. ResNet-50 at 224x224 gained nothing (0.94-1.07x) and would hold two passes' activations, so lanes are used
/// only for small images (<see cref="MostInputValuesPerImage"/>). On that processor a pass gave the same bits with 1 thread
/// as with 2, under the oneDNN caps ALL, AVX512_CORE and AVX2.
/// </summary>
internal sealed class ProfileLanes(nn.Module<Tensor, Tensor> model, ProfileLayout layout, Func<nn.Module<Tensor, Tensor>> build)
{
    /// <summary>Most input values per image (C·H·W) for which passes run on lanes: 28x28 and 32x32 colour images do, ImageNet's do not.</summary>
    public const long MostInputValuesPerImage = 4096;

    nn.Module<Tensor, Tensor>? replica;
    BatchedEngine? replicaEngine;
    Float64Twin? replicaTwin;

    /// <summary>Lanes for <paramref name="model"/> when a replica of it can be built (its architecture is registered with <see cref="ExactReference"/>), else null.</summary>
    public static ProfileLanes? For(nn.Module<Tensor, Tensor> model, ProfileLayout layout) =>
        ExactReference.BuilderOf(model) is { } build ? new ProfileLanes(model, layout, build) : null;

    /// <summary>Whether passes over images of <paramref name="valuesPerImage"/> values on <paramref name="device"/> gain from lanes: small images, on the CPU, with at least 2 libtorch threads for this process (on this thread).</summary>
    public static bool Worthwhile(long valuesPerImage, Device device) =>
        valuesPerImage <= MostInputValuesPerImage && device.type == DeviceType.CPU && get_num_threads() >= 2;

    /// <summary>
    /// Runs <paramref name="profilePass"/> for every pass (passes 0, 2, 4, … on the first lane with <paramref name="engine"/>,
    /// the others on the second with the replica's engine), each lane with its own check, whose findings are added to
    /// <paramref name="check"/> at the end (its rows in ascending order). <paramref name="passDone"/> is called on this thread
    /// as passes finish. A failure on either lane (or in <paramref name="passDone"/>) stops both and is rethrown here.
    /// </summary>
    /// <returns>Each pass's result, in pass order; detached from every dispose scope (the caller disposes them).</returns>
    public Tensor[] Run(int passes, BatchedEngine engine, SettlingCheck check, Func<BatchedEngine, SettlingCheck, int, Tensor> profilePass, Action<int> passDone)
    {
        var second = ReplicaEngine();
        int mainThreads = get_num_threads(), threadsPerLane = Math.Max(1, mainThreads / 2);
        var results = new Tensor?[passes];
        using var finished = new BlockingCollection<int>();
        Exception? failure = null;
        using SettlingCheck firstCheck = check.Sibling(), secondCheck = check.Sibling(() => replicaTwin ??= new Float64Twin(replica!, layout, build));
        var lanes = new[] { (Engine: engine, Check: firstCheck), (Engine: second, Check: secondCheck) };
        var threads = lanes.Select((lane, index) => new Thread(() =>
        {
            try
            {
                set_num_threads(threadsPerLane); // this thread's OpenMP team, and what its own parallel loops take
                for (int pass = index; pass < passes && Volatile.Read(ref failure) is null; pass += lanes.Length)
                {
                    results[pass] = profilePass(lane.Engine, lane.Check, pass);
                    finished.Add(pass);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            finally
            {
                finished.Add(-1);
            }
        }) { IsBackground = true, Name = $"saliency lane {index + 1}" }).ToArray();
        try
        {
            foreach (var thread in threads) thread.Start();
            for (int lanesLeft = lanes.Length; lanesLeft > 0;)
            {
                int pass = finished.Take();
                if (pass < 0) lanesLeft--;
                else if (Volatile.Read(ref failure) is null)
                {
                    try
                    {
                        passDone(pass);
                    }
                    catch (Exception e) // a progress report that throws stops the lanes too
                    {
                        Interlocked.CompareExchange(ref failure, e, null);
                    }
                }
            }
        }
        finally
        {
            foreach (var thread in threads.Where(thread => thread.ThreadState != ThreadState.Unstarted)) thread.Join();
            set_num_threads(mainThreads); // libtorch's process-wide settings (its BLAS's threads) follow the last call
        }
        if (failure is not null)
        {
            foreach (var result in results) result?.Dispose();
            ExceptionDispatchInfo.Throw(failure);
        }
        check.Include(firstCheck);
        check.Include(secondCheck);
        PassesRun += passes;
        return results!;
    }

    /// <summary>How many passes, over all calls, ran on lanes (the tests see that they did).</summary>
    public int PassesRun { get; private set; }

    /// <summary>The replica's batched engine, the replica built on first use and given the model's current weights and buffers (its twin marked stale).</summary>
    BatchedEngine ReplicaEngine()
    {
        if (replica is null)
        {
            replica = ExactReference.NewInstance(model, build, model.parameters().First().dtype);
            replicaEngine = BatchedEngine.TryCreate(replica, layout, out string? reason)
                            ?? throw new InvalidOperationException($"The replica of the model has no batched engine ({reason}): the builder given to ExactReference.Register builds another architecture.");
        }
        ExactReference.CopyState(model, replica, "replica");
        replicaTwin?.Invalidate();
        return replicaEngine!;
    }
}
