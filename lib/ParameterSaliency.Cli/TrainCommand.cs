using System.CommandLine;
using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Experiments;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency train</c>: trains the CIFAR-style ResNet-18 (or the small ViT, or the MLP) on Fashion-MNIST and writes its weights atomically.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingOptions();
        var output = new Option<string>("--out") { Description = "Weights file to write (safetensors).", DefaultValueFactory = _ => WorkbookPaths.DefaultModel };
        var dataset = new Option<string>("--dataset") { Description = "Training data.", DefaultValueFactory = _ => "fashion-mnist:train" };
        var testDataset = new Option<string>("--test-dataset") { Description = "Data evaluated after every epoch ('none' to skip).", DefaultValueFactory = _ => "fashion-mnist:test" };
        var arch = new Option<string>("--arch")
        {
            Description = "resnet18-cifar (the default model), vit-tiny (the second embedded model: AdamW, lr 1e-3, weight decay 0.05 unless told) or mlp.",
            DefaultValueFactory = _ => "resnet18-cifar",
        };
        arch.AcceptOnlyFromAmong("resnet18-cifar", "vit-tiny", "mlp");
        var width = new Option<int>("--width") { Description = "Base width w of the ResNet.", DefaultValueFactory = _ => 16 };
        var epochs = new Option<int?>("--epochs") { Description = $"Passes over the training data (default {defaults.Epochs}; vit-tiny {VitTinyRecipe.Epochs})." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var learningRate = new Option<double?>("--lr") { Description = $"Largest learning rate: the one-cycle peak, or the multistep schedule's starting rate (default {defaults.MaxLearningRate}; vit-tiny {VitTinyRecipe.MaxLearningRate})." };
        var schedule = new Option<string>("--schedule")
        {
            Description = "one-cycle: Nesterov momentum, rate up then annealed to ~0 (the default model). multistep: the paper's shape, plain momentum 0.9, " +
                          "the rate divided by 10 at --drop-epochs, so the last epochs run at lr/100 (0.001 by default).",
            DefaultValueFactory = _ => "one-cycle",
        };
        schedule.AcceptOnlyFromAmong("one-cycle", "multistep");
        var dropEpochs = new Option<string?>("--drop-epochs") { Description = "multistep: 1-based epochs that start at the next lower rate, comma-separated (default: half and three quarters of --epochs, 8,12 for 15)." };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, order and augmentation.", DefaultValueFactory = _ => defaults.Seed };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N training images (smoke tests)." };
        var noAugment = new Option<bool>("--no-augment") { Description = "Train without random shifts and flips." };
        var permuteLabels = new Option<int?>("--permute-labels")
        {
            Description = "Data randomisation (SPEC §9): train on the first --limit images with their labels permuted among them by this seed; " +
                          "the fit on those labels is checked and written into the metadata.",
        };
        var plantedCue = new Option<bool>("--planted-cue") { Description = "Stamp the case study's marker on most training images of its cue class and a few others (see PlantedCue)." };

        var command = new Command("train", "Train the default model (CIFAR-style ResNet-18), or --arch vit-tiny or mlp, and write its weights.")
        {
            output, dataset, testDataset, arch, width, epochs, batchSize, learningRate, schedule, dropEpochs, seed, limit, noAugment, permuteLabels, plantedCue,
        };
        command.SetAction(result =>
        {
            NativeTorch.EnsureLoaded();
            using var train = DatasetCatalog.Load(result.GetValue(dataset)!);
            var cue = result.GetValue(plantedCue) ? PlantedCue.Default : null;
            bool multiStep = result.GetValue(schedule) == "multistep";
            string? dropText = result.GetValue(dropEpochs);
            if (dropText is not null && !multiStep) throw new ArgumentException("--drop-epochs belongs to --schedule multistep.");
            string archName = result.GetValue(arch)!;
            var recipe = archName == "vit-tiny" ? VitTinyRecipe : defaults;
            int epochCount = result.GetValue(epochs) ?? recipe.Epochs;
            LearningRateSchedule rateSchedule = !multiStep ? new OneCycleSchedule()
                : dropText is null ? MultiStepSchedule.ForEpochs(epochCount)
                : new MultiStepSchedule(ParseDropEpochs(dropText));
            var options = recipe with
            {
                BatchTransform = cue?.TrainingTransform(cue.ChooseStamped(train.LabelArray), train.Normalization),
                Epochs = epochCount,
                Schedule = rateSchedule,
                Nesterov = recipe.Optimizer == TrainingOptimizer.Sgd && !multiStep,
                BatchSize = result.GetValue(batchSize),
                MaxLearningRate = result.GetValue(learningRate) ?? recipe.MaxLearningRate,
                Seed = result.GetValue(seed),
                Limit = result.GetValue(limit),
                Augment = !result.GetValue(noAugment),
                PermutedLabelsSeed = result.GetValue(permuteLabels),
            };
            if (options.PermutedLabelsSeed is not null && options.Limit is null)
                throw new ArgumentException("--permute-labels needs --limit: a model memorises permuted labels of a subset (e.g. --limit 5000).");
            options.Validate();
            string testName = result.GetValue(testDataset)!;
            using var test = testName == "none" ? null : DatasetCatalog.Load(testName);
            var device = NativeTorch.DefaultDevice;
            int channels = train.ImageShape.Channels, classes = train.ClassNames.Count;
            var trainer = new Trainer(options);
            using var model = trainer.Initialise<nn.Module<Tensor, Tensor>>(() => archName == "resnet18-cifar"
                ? new ResNet(ResNetConfig.CifarResNet18(channels, result.GetValue(width), classes))
                : Architectures.Named(archName).Build(classes, channels));
            model.to(device);
            string described = model is ResNet resnet ? $"{resnet.Config.Arch} (w = {resnet.Config.Width}" : $"{archName} ({options.Optimizer}";
            Console.Error.WriteLine($"Training {described}, {model.parameters().Sum(p => p.numel()):N0} parameters) on {train.Name} " +
                                    $"({Math.Min(train.Count, options.Limit ?? int.MaxValue)} images), {options.Epochs} epochs, device {device.type}, {get_num_threads()} threads.");
            var progress = new ConsoleProgress<TrainingProgress>(p => p.ToString(), p => p.TestAccuracy is not null || p.Step == p.StepsPerEpoch);
            var history = trainer.Train(model, train, test, progress);
            double? accuracy = history[^1].TestAccuracy;
            string outPath = result.GetValue(output)!;
            var metadata = new Dictionary<string, string>
            {
                ["trained_with"] = "saliency train",
                ["command"] = "saliency " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                ["optimizer"] = options.Optimizer.ToString(),
                ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
                ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["max_lr"] = options.MaxLearningRate.ToString("R", CultureInfo.InvariantCulture),
                ["schedule"] = options.Schedule.Name,
                ["momentum"] = options.Momentum.ToString("R", CultureInfo.InvariantCulture),
                ["nesterov"] = options.Nesterov ? "true" : "false",
                ["weight_decay"] = options.WeightDecay.ToString("R", CultureInfo.InvariantCulture),
                [TrainingMetadata.FinalLearningRate] = history[^1].LearningRate.ToString("R", CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["augment"] = options.Augment ? "true" : "false",
                ["images"] = Math.Min(train.Count, options.Limit ?? int.MaxValue).ToString(CultureInfo.InvariantCulture),
                ["test_accuracy"] = accuracy?.ToString("F4", CultureInfo.InvariantCulture) ?? "",
                ["train_seconds"] = history.Sum(h => h.Duration.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture),
            };
            if (options.Schedule is MultiStepSchedule steps)
            {
                metadata["drop_epochs"] = steps.DropEpochsText;
                metadata["gamma"] = steps.Gamma.ToString("R", CultureInfo.InvariantCulture);
            }
            if (cue is not null) metadata["planted_cue"] = cue.Description;
            if (options.PermutedLabelsSeed is int permutation)
            {
                double fit = FitAccuracy(model, train, options.Limit!.Value, permutation);
                Console.Error.WriteLine($"Fit on the {options.Limit} images' permuted labels (eval mode): {fit:P2}.");
                metadata[TrainingMetadata.PermutedLabelsSeed] = permutation.ToString(CultureInfo.InvariantCulture);
                metadata[TrainingMetadata.FitAccuracy] = fit.ToString("F4", CultureInfo.InvariantCulture);
            }
            ModelFile.Save(model, train.Normalization, train.Name, outPath, metadata);
            Console.WriteLine($"Wrote {outPath}" + (accuracy is double a ? $" (test accuracy {a:F4})" : "") + $", final learning rate {history[^1].LearningRate:G3}.");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The small ViT's recipe: AdamW with decoupled weight decay 0.05 and a one-cycle rate peaking at 1e-3 (SGD at the
    /// ResNet's 0.1 does not train a transformer), the same shifts and flips, 128 images a step.
    /// </summary>
    internal static readonly TrainingOptions VitTinyRecipe = new()
    {
        Optimizer = TrainingOptimizer.AdamW, MaxLearningRate = 1e-3, WeightDecay = 0.05, Epochs = 20, Nesterov = false,
    };

    /// <summary>Accuracy in eval mode on the first <paramref name="count"/> images of <paramref name="train"/> against the labels it was trained on.</summary>
    static double FitAccuracy(nn.Module<Tensor, Tensor> model, ImageDataset train, int count, int permutationSeed)
    {
        using var scope = NewDisposeScope();
        var labels = Trainer.LabelsTrainedOn(train, count, permutationSeed).data<long>().ToArray();
        var (predictions, _) = Evaluator.Predict(model, train.Images.narrow(0, 0, count));
        return (double)predictions.Where((p, i) => p == labels[i]).Count() / count;
    }

    static int[] ParseDropEpochs(string text)
    {
        try { return text.Split(',', StringSplitOptions.TrimEntries).Select(part => int.Parse(part, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new ArgumentException($"--drop-epochs '{text}' is not a comma-separated list of epoch numbers, e.g. 8,12."); }
    }
}
