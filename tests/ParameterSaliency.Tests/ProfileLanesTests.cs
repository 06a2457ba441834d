using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Passes on two lanes (<see cref="ProfileLanes"/>): the model on one thread, its replica on another. Every row is held
/// against the float64 engine (native double kernels), the checks' findings against those of the same passes run one at
/// a time, the replica against a change of the model's weights, and a failure on a lane must reach the caller.
/// The two tests whose rows the kernels round (trait <see cref="CpuIsaMatrixTests.Category"/>) run again under every oneDNN
/// ISA cap by <see cref="CpuIsaMatrixTests"/>, each lane with one libtorch thread; the replica's, the ViT's and the
/// failures' tests check the lanes' bookkeeping, which no cap changes, and run once.
/// </summary>
public class ProfileLanesTests(ITestOutputHelper output)
{
    const int PerPass = 64, Passes = 5;

    /// <summary>The default model, its batched engine and lanes, and the first Passes × PerPass test images.</summary>
    sealed class Setup : IDisposable
    {
        public readonly SavedModel Saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        public readonly ProfileLayout Layout;
        public readonly BatchedEngine Engine;
        public readonly ProfileLanes Lanes;
        public readonly Float64Twin Twin;
        public readonly Tensor Images = SharedData.TestSplit.Images.narrow(0, 0, Passes * PerPass);
        public readonly Tensor Labels = SharedData.TestSplit.Labels.narrow(0, 0, Passes * PerPass).to(ScalarType.Int64);

        public Setup()
        {
            Saved.Model.eval();
            Layout = ProfileLayout.For(Saved.Model, Aggregation.FilterWise);
            Engine = BatchedEngine.TryCreate(Saved.Model, Layout, out _)!;
            Lanes = ProfileLanes.For(Saved.Model, Layout)!;
            Twin = Float64Twin.For(Saved.Model, Layout)!;
        }

        public Tensor Pass(Tensor all, int pass) => all.narrow(0, pass * PerPass, PerPass);

        /// <summary>Every pass on the lanes: the rows in order, and the check they reported to.</summary>
        public (Tensor Rows, SettlingCheck Check) OnLanes()
        {
            var check = new SettlingCheck(() => Twin, SettlingCheck.MaskBudgetBytes);
            var rows = Lanes.Run(Passes, Engine, check, (engine, laneCheck, pass) =>
            {
                using var scope = NewDisposeScope();
                return engine.Profile(Pass(Images, pass), Pass(Labels, pass), laneCheck, pass * PerPass).DetachFromDisposeScope();
            }, _ => { });
            var all = cat(rows, 0);
            foreach (var row in rows) row.Dispose();
            return (all, check);
        }

        /// <summary>The same passes one after the other on this thread, with the model.</summary>
        public (Tensor Rows, SettlingCheck Check) OneAtATime()
        {
            var check = new SettlingCheck(() => Twin, SettlingCheck.MaskBudgetBytes);
            var rows = Enumerable.Range(0, Passes).Select(pass => Engine.Profile(Pass(Images, pass), Pass(Labels, pass), check, pass * PerPass)).ToArray();
            return (cat(rows, 0), check);
        }

        public Tensor Float64()
        {
            var copy = ExactReference.BuilderOf(Saved.Model)!();
            copy.to(ScalarType.Float64);
            ExactReference.CopyState(Saved.Model, copy, "float64 copy");
            return BatchedEngine.TryCreate(copy, ProfileLayout.For(copy, Aggregation.FilterWise), out _)!.Profile(Images.to(ScalarType.Float64), Labels);
        }

        public void Dispose()
        {
            Twin.Dispose();
            Saved.Dispose();
        }
    }

    [Fact]
    [Trait("Category", CpuIsaMatrixTests.Category)]
    public void Every_row_from_the_lanes_is_within_1e3_of_float64_and_the_checks_find_what_one_pass_at_a_time_finds()
    {
        using var scope = NewDisposeScope();
        using var setup = new Setup();
        var (lanes, laneCheck) = setup.OnLanes();
        var (serial, serialCheck) = setup.OneAtATime();
        using (laneCheck)
        using (serialCheck)
        {
            var errors = TinyModels.RowErrors(lanes, setup.Float64());
            var judged = Enumerable.Range(0, errors.Length).Where(row => !laneCheck.Wrong.Contains(row)).ToArray(); // the profiler recomputes those under float64's masks
            int worst = judged.MaxBy(row => errors[row]);
            output.WriteLine($"{Passes} passes of {PerPass} on lanes on {Runtime.CpuKernels.Policy.Kernels}: worst row #{worst} {errors[worst]:E1} from float64; " +
                             $"{laneCheck.Candidates} candidates, wrong masks at [{string.Join(", ", laneCheck.Wrong)}]; " +
                             $"largest difference from one pass at a time {TinyModels.RowErrors(lanes, serial).Max():E1}");
            Assert.True(errors[worst] <= 1e-3, $"row {worst} from the lanes is {errors[worst]:E2} from float64 (row-relative L1)");
            Assert.Equal(serialCheck.Candidates, laneCheck.Candidates);
            Assert.Equal(serialCheck.Wrong, laneCheck.Wrong); // ascending, from both lanes
            Assert.Empty(laneCheck.Unverified);
            foreach (int row in laneCheck.Wrong) // their masks were kept, for the profiler to settle them with
            {
                var masks = laneCheck.TakeMasks(row);
                Assert.NotNull(masks);
                foreach (var mask in masks!) mask.Dispose();
            }
        }
    }

    [Fact]
    public void The_replica_follows_the_models_weights_from_call_to_call()
    {
        // The second lane profiles with the replica: after the model's weights change, its rows must be the new model's.
        using var scope = NewDisposeScope();
        using var setup = new Setup();
        setup.OnLanes().Check.Dispose();
        using Scalar factor = 1.25;
        using (no_grad())
            foreach (var parameter in setup.Saved.Model.parameters().Where(p => p.dim() == 4)) parameter.mul_(factor);
        setup.Twin.Invalidate();
        var (lanes, check) = setup.OnLanes();
        using (check)
        {
            var errors = TinyModels.RowErrors(lanes, setup.Float64());
            var secondLaneRows = Enumerable.Range(0, errors.Length).Where(row => row / PerPass % 2 == 1 && !check.Wrong.Contains(row)).ToArray();
            int worst = secondLaneRows.MaxBy(row => errors[row]);
            output.WriteLine($"after the change, the second lane's worst row #{worst} is {errors[worst]:E1} from the changed model in float64");
            Assert.True(errors[worst] <= 1e-3, $"row {worst} (second lane) is {errors[worst]:E2} from the changed model: the replica kept the old weights");
        }
    }

    [Fact]
    [Trait("Category", CpuIsaMatrixTests.Category)]
    public void A_profiler_on_lanes_gives_the_rows_settles_and_progress_of_one_without()
    {
        // The profiler's own use of the lanes: the first batch alone (it measures and checks the engine), the other four
        // on lanes, their wrong rows settled afterwards with the masks the lanes' checks kept, progress in order to the end.
        using var scope = NewDisposeScope();
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var indices = Enumerable.Range(100, Passes * PerPass).ToArray();
        var reports = new List<(int Done, int Total)>();
        var onLanes = new SaliencyProfiler(saved.Model) { LanesForced = true };
        using var withLanes = onLanes.Profile(SharedData.TestSplit, indices, new SynchronousProgress(reports.Add));
        using var without = new SaliencyProfiler(saved.Model) { LanesForced = false }.Profile(SharedData.TestSplit, indices);
        double largest = TinyModels.RowErrors(withLanes.Values, without.Values).Max();
        output.WriteLine($"{onLanes.PassesOnLanes} passes on lanes; recomputed [{string.Join(", ", withLanes.Float64MaskRows)}] (without lanes [{string.Join(", ", without.Float64MaskRows)}]); " +
                         $"largest row difference {largest:E1}; progress {string.Join(" ", reports.Select(r => r.Done))}");
        Assert.Equal(Passes - 1, onLanes.PassesOnLanes);
        Assert.EndsWith("passes after the first batch run two at a time, on two threads (small images)", onLanes.EngineReason); // what `saliency stats` prints
        Assert.InRange(largest, 0, 1e-6); // the same passes by the same kernels, one libtorch thread each
        Assert.Equal(without.Float64MaskRows, withLanes.Float64MaskRows);
        Assert.Equal(without.Float32Candidates, withLanes.Float32Candidates);
        Assert.Equal(Enumerable.Range(1, Passes).Select(pass => (pass * PerPass, Passes * PerPass)), reports.OrderBy(r => r.Done));
    }

    [Fact]
    public void A_vision_transformer_on_lanes_keeps_its_parameter_fields_from_call_to_call()
    {
        // Its class token and position embedding are parameters held in fields, made in its constructor: a replica built
        // inside a profiling call lost them when the call's dispose scope ended, and the next call failed.
        using var scope = NewDisposeScope();
        using var saved = ModelFile.Load(WorkbookPaths.VitModel, CPU);
        var indices = Enumerable.Range(0, 3 * PerPass).ToArray();
        var onLanes = new SaliencyProfiler(saved.Model) { LanesForced = true };
        using var without = new SaliencyProfiler(saved.Model) { LanesForced = false }.Profile(SharedData.TestSplit, indices);
        for (int call = 0; call < 2; call++)
        {
            using var withLanes = onLanes.Profile(SharedData.TestSplit, indices);
            Assert.InRange(TinyModels.RowErrors(withLanes.Values, without.Values).Max(), 0, 1e-6);
        }
        Assert.Equal(2 + 3, onLanes.PassesOnLanes); // the first call checks the engine on its first batch
    }

    sealed class SynchronousProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }

    [Fact]
    public void A_failure_on_a_lane_or_in_a_progress_report_reaches_the_caller_as_it_was_thrown()
    {
        using var setup = new Setup();
        using var check = new SettlingCheck(() => setup.Twin);
        int threadsBefore = get_num_threads();
        var error = Assert.Throws<InvalidDataException>(() => setup.Lanes.Run(Passes, setup.Engine, check, (engine, laneCheck, pass) =>
            pass == 3 ? throw new InvalidDataException("pass 3 failed") : zeros(1).DetachFromDisposeScope(), _ => { }));
        Assert.Equal("pass 3 failed", error.Message);
        Assert.Equal(threadsBefore, get_num_threads()); // this thread's libtorch threads are as they were
        // A progress report that throws (on this thread) ends the lanes too, and is what the caller sees.
        var reportError = Assert.Throws<OperationCanceledException>(() => setup.Lanes.Run(Passes, setup.Engine, check, (engine, laneCheck, pass) =>
            zeros(1).DetachFromDisposeScope(), _ => throw new OperationCanceledException("stopped by the user")));
        Assert.Equal("stopped by the user", reportError.Message);
        Assert.Equal(threadsBefore, get_num_threads());
    }
}
