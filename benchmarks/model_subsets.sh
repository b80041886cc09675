# The fixed problem subsets used for model-agent measurements on a 2-core CPU, where the full suite at k=5 would
# take hours per agent. Source this file; every measurement script names the subset it ran.
# Held-out: two problems per task type, from six families; train: six problems from four train families.
HELDOUT_SUBSET="k8s_target_port-misconfig-detection-1,revoke_auth_mongodb-detection-1,\
auth_miss_mongodb-localization-1,pod_kill_hotel_res-localization-1,\
wrong_bin_usage-analysis-1,user_unregistered_mongodb-analysis-1,\
scale_pod_zero_social_net-mitigation-1,k8s_target_port-misconfig-mitigation-1"
TRAIN_SUBSET="misconfig_app_hotel_res-detection-1,noop_detection_social_network-1,container_kill-localization,\
astronomy_shop_cart_service_failure-localization-1,misconfig_app_hotel_res-analysis-1,\
misconfig_app_hotel_res-mitigation-1"
# Per-episode budgets for model agents in these measurements.
MODEL_BUDGET="--runs 5 --max-steps 8 --max-seconds 180 --workers 2"
# The ReAct baseline generates up to 400 free tokens a turn (the base model: ~70 s an episode here, measured): one
# problem per task type from the held-out subset and three train problems.
REACT_HELDOUT_SUBSET="k8s_target_port-misconfig-detection-1,auth_miss_mongodb-localization-1,\
wrong_bin_usage-analysis-1,scale_pod_zero_social_net-mitigation-1"
REACT_TRAIN_SUBSET="misconfig_app_hotel_res-detection-1,container_kill-localization,misconfig_app_hotel_res-analysis-1"
# Issue 16's acceptance subset: 24 held-out problems, six per task type, from all ten held-out families.
HELDOUT_24="k8s_target_port-misconfig-detection-1,revoke_auth_mongodb-detection-1,scale_pod_zero_social_net-detection-1,\
pod_kill_hotel_res-detection-1,astronomy_shop_ad_service_high_cpu-detection-1,wrong_bin_usage-detection-1,\
auth_miss_mongodb-localization-1,pod_kill_hotel_res-localization-1,user_unregistered_mongodb-localization-1,\
assign_to_non_existent_node_social_net-localization-1,network_loss_hotel_res-localization-1,\
astronomy_shop_payment_service_unreachable-localization-1,\
wrong_bin_usage-analysis-1,user_unregistered_mongodb-analysis-1,k8s_target_port-misconfig-analysis-1,\
revoke_auth_mongodb-analysis-1,scale_pod_zero_social_net-analysis-1,redeploy_without_PV-analysis-1,\
scale_pod_zero_social_net-mitigation-1,k8s_target_port-misconfig-mitigation-1,auth_miss_mongodb-mitigation-1,\
assign_to_non_existent_node_social_net-mitigation-1,revoke_auth_mongodb-mitigation-1,\
astronomy_shop_kafka_queue_problems-mitigation-1"
