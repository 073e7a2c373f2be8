package leviathan.model;

/**
 * What every mixer states the same way, stated once: the config it was made for, its config name,
 * and the options it takes (any other is rejected as the mixer is made). A subclass's constructor
 * passes its name and option names to this one, then reads each option from {@link #options}.
 */
public abstract class ConfiguredMixer implements Mixer {
    protected final ModelConfig config;
    protected final MixerOptions options;
    private final String name;

    protected ConfiguredMixer(ModelConfig config, String name, String... optionNames) {
        this.config = config;
        this.name = name;
        this.options = MixerOptions.of(config).allowOnly(optionNames);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final MixerOptions options() {
        return options;
    }
}
